DROP TABLE trust_help;
