DROP TABLE figure_preview_chunks;
DROP TABLE figure_previews;
