DROP TABLE transfers;
DROP FUNCTION transfers_fixed();
