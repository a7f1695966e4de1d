DROP INDEX trust_role_changes_trust;
DROP TABLE trust_role_changes;
DROP INDEX categories_trust_category;
ALTER TABLE categories DROP COLUMN trust_category_id;
DROP INDEX trust_categories_trust_code;
DROP TABLE trust_categories;
