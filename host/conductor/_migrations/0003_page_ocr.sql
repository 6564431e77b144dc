-- 0003: how a page's text was read by OCR.
--
-- `ocr` is the page's `Page.ocr` as JSON, {"engine": "tesseract 5.3.0", "languages":
-- ["eng"], "confidence": 0.93, "dpi": 300}, or NULL when its text is its text layer's (every
-- page stored before 0003). `needs_ocr`/`ocr_reason` keep describing the text layer.

ALTER TABLE pages ADD COLUMN ocr TEXT;
