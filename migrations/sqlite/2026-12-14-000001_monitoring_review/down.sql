DROP TABLE monitoring_review_publications;
DROP TABLE monitoring_review_drafts;
DROP TABLE filtering_decisions;
DROP TABLE monitoring_triagers;
