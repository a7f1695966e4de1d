DROP TABLE information_shares;
DROP TABLE case_decisions;
DROP TABLE attachment_no_images;
DROP TABLE attachment_settings;
DROP TABLE attachments;
