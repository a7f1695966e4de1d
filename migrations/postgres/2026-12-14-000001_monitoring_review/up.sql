-- Issue 17, the rest: people the school names to triage monitoring alerts
-- beside the DSL and the Online Safety Lead, the register of filtering
-- decisions, and the annual filtering and monitoring review for governors.

-- Members of staff the school names to triage its monitoring alerts
-- (KCSIE: "the DSL ... and whoever the school names"). A setting, as the
-- severity mappings are: the audit trail keeps who named and removed whom.
CREATE TABLE monitoring_triagers (
    school_id TEXT NOT NULL REFERENCES schools (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    named_at TIMESTAMP NOT NULL,
    named_by TEXT REFERENCES users (id),
    PRIMARY KEY (school_id, user_id)
);

-- The register of decisions about what the school's filtering blocks or
-- allows, and why (DfE filtering and monitoring standards). Append-only: a
-- correction is a new entry naming the one it corrects.
CREATE TABLE filtering_decisions (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools (id),
    decided_on DATE NOT NULL,
    change TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    corrects_id TEXT REFERENCES filtering_decisions (id),
    recorded_at TIMESTAMP NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id)
);
CREATE INDEX filtering_decisions_school ON filtering_decisions (school_id, decided_on);

-- The DSL's or headteacher's draft commentary on a year's review.
CREATE TABLE monitoring_review_drafts (
    school_id TEXT NOT NULL REFERENCES schools (id),
    academic_year INTEGER NOT NULL,
    commentary TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (school_id, academic_year)
);

-- A published annual review: its exact figures frozen as JSON text
-- (suppression is applied when shown, with the k it was published with or
-- a higher one). Publishing again adds a version with a reason.
CREATE TABLE monitoring_review_publications (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools (id),
    academic_year INTEGER NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    figures TEXT NOT NULL,
    commentary TEXT NOT NULL,
    reason TEXT,
    published_at TIMESTAMP NOT NULL,
    published_by TEXT NOT NULL REFERENCES users (id)
);
CREATE UNIQUE INDEX monitoring_review_publications_version
    ON monitoring_review_publications (school_id, academic_year, version);

CREATE FUNCTION filtering_decisions_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a filtering decision is never changed: record a correction';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER filtering_decisions_no_change BEFORE UPDATE OR DELETE ON filtering_decisions
FOR EACH ROW EXECUTE FUNCTION filtering_decisions_append_only();

CREATE FUNCTION monitoring_review_publications_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a published review is never changed: publish it again';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER monitoring_review_publications_no_change BEFORE UPDATE OR DELETE ON monitoring_review_publications
FOR EACH ROW EXECUTE FUNCTION monitoring_review_publications_append_only();
