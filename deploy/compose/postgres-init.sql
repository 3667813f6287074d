-- One database and one owner per service, as `make run` creates them: no service can read
-- another's tables. Local-only passwords; never reuse them anywhere else.
CREATE ROLE intake LOGIN PASSWORD 'intake';
CREATE DATABASE intake OWNER intake;
CREATE ROLE underwriting LOGIN PASSWORD 'underwriting';
CREATE DATABASE underwriting OWNER underwriting;
CREATE ROLE ledger LOGIN PASSWORD 'ledger';
CREATE DATABASE ledger OWNER ledger;
CREATE ROLE servicing LOGIN PASSWORD 'servicing';
CREATE DATABASE servicing OWNER servicing;
CREATE ROLE collections LOGIN PASSWORD 'collections';
CREATE DATABASE collections OWNER collections;
REVOKE CONNECT ON DATABASE intake, underwriting, ledger, servicing, collections FROM PUBLIC;
