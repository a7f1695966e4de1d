DROP TABLE monitoring_review_publications;
DROP FUNCTION monitoring_review_publications_append_only();
DROP TABLE monitoring_review_drafts;
DROP TABLE filtering_decisions;
DROP FUNCTION filtering_decisions_append_only();
DROP TABLE monitoring_triagers;
