-- 0003 (PostgreSQL): how a page's text was read by OCR, as ../0003_page_ocr.sql says
-- for SQLite: `ocr` is `Page.ocr` as JSON text, or NULL when the text is the text layer's.

ALTER TABLE pages ADD COLUMN ocr TEXT;
