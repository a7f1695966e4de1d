DROP TABLE list_searches;
