-- Trust termly reports: every school of a trust side by side, for its
-- trustees. Written by the trust's safeguarding lead; the same shape as a
-- school's report tables, keyed by the trust.

-- The trust safeguarding lead's commentary on a term, while it is being written.
CREATE TABLE trust_report_commentaries (
    trust_id TEXT NOT NULL REFERENCES trusts (id),
    academic_year INTEGER NOT NULL,
    term TEXT NOT NULL CHECK (term IN ('autumn', 'spring', 'summer')),
    commentary TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (trust_id, academic_year, term)
);

-- A published trust report: each school's exact figures, its name and
-- term dates as they were, frozen as JSON text (suppression is applied when
-- it is shown, with the k it was published with or a higher one).
-- Publishing again adds a version with a reason; no version is ever
-- changed or removed.
CREATE TABLE trust_report_publications (
    id TEXT PRIMARY KEY NOT NULL,
    trust_id TEXT NOT NULL REFERENCES trusts (id),
    academic_year INTEGER NOT NULL,
    term TEXT NOT NULL CHECK (term IN ('autumn', 'spring', 'summer')),
    version INTEGER NOT NULL CHECK (version >= 1),
    figures TEXT NOT NULL,
    commentary TEXT NOT NULL,
    -- Why it was published again; NULL for the first version.
    reason TEXT,
    published_at TIMESTAMP NOT NULL,
    published_by TEXT NOT NULL REFERENCES users (id)
);
CREATE UNIQUE INDEX trust_report_publications_version
    ON trust_report_publications (trust_id, academic_year, term, version);

CREATE FUNCTION trust_report_publications_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a published trust report is never changed: publish it again';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER trust_report_publications_no_change BEFORE UPDATE OR DELETE ON trust_report_publications
FOR EACH ROW EXECUTE FUNCTION trust_report_publications_append_only();
