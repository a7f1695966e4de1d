-- The trust administrator (issue 13): a trust's shared categories, and the
-- history of who was given or lost a role held across a trust.
--
-- A trust's categories are its own rows here; each school of the trust
-- carries each of them as a row of its own in `categories` (matched by
-- code), marked with the trust category it comes from. Incidents keep
-- naming their school's category by (school_id, code), so nothing that
-- reads categories changes, and a school's own categories sit beside the
-- trust's.
CREATE TABLE trust_categories (
    id TEXT PRIMARY KEY NOT NULL,
    trust_id TEXT NOT NULL REFERENCES trusts (id),
    code TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 60),
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    four_c TEXT NOT NULL CHECK (four_c IN ('content', 'contact', 'conduct', 'commerce', 'none')),
    owner_role TEXT NOT NULL CHECK (owner_role IN ('online_safety_lead', 'dsl', 'headteacher', 'dpo')),
    guidance TEXT NOT NULL,
    urgent BOOLEAN NOT NULL,
    restricted BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX trust_categories_trust_code ON trust_categories (trust_id, code);

-- Set on a school's category that the trust shares: the school's
-- administrator can neither rename, re-route nor retire it.
ALTER TABLE categories ADD COLUMN trust_category_id TEXT REFERENCES trust_categories (id);
CREATE INDEX categories_trust_category ON categories (trust_category_id);

-- Each trust role given or taken away, by whom and when: the trust
-- administrator's page lists them, and a trust safeguarding lead or
-- allegations lead given is shown to the trust's other administrators.
-- Rows are only ever added.
CREATE TABLE trust_role_changes (
    id TEXT PRIMARY KEY NOT NULL,
    trust_id TEXT NOT NULL REFERENCES trusts (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL CHECK (role IN ('trust_safeguarding_lead', 'trust_admin', 'trustee', 'allegations_lead')),
    change TEXT NOT NULL CHECK (change IN ('given', 'taken')),
    -- None from the command line.
    by_user_id TEXT REFERENCES users (id),
    at TIMESTAMP NOT NULL
);
CREATE INDEX trust_role_changes_trust ON trust_role_changes (trust_id, at);
