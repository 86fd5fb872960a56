"""From bytes to paragraphs and metadata: decoding (decode.py), HTML main-text extraction with
trafilatura (html.py), the page's own metadata (metadata/), and the one entry point (core.py)."""
