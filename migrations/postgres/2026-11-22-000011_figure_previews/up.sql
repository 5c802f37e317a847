-- A figures upload is read and checked first, then applied with one button (issue 19). The
-- checked rows wait here between the two requests, so any server process sharing the database
-- can apply them: the rows as text chunks (a few thousand rows each), the page's summary as
-- JSON. A preview is its uploader's only; applying it drops its chunks and keeps the answer.
CREATE TABLE figure_previews (
    id SERIAL PRIMARY KEY,
    preview_key TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    summary TEXT NOT NULL,
    applied_summary TEXT
);
CREATE INDEX figure_previews_user ON figure_previews (user_id);
CREATE INDEX figure_previews_created ON figure_previews (created_at);
CREATE TABLE figure_preview_chunks (
    preview_id INTEGER NOT NULL REFERENCES figure_previews (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (preview_id, seq)
);
