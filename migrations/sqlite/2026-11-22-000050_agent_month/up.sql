-- Incentive rates per confirmed outcome, dated per area (a kab/kota, kecamatan or kelurahan code):
-- the most specific area with a rate in force on the claim's report day wins. None by default.
CREATE TABLE incentive_rates (
    region_code TEXT NOT NULL,
    outcome TEXT NOT NULL,
    valid_from DATE NOT NULL,
    amount BIGINT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (region_code, outcome, valid_from)
);
-- A month closed for payment for an area ("tutup periode"); months close in order.
CREATE TABLE recap_periods (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    region_code TEXT NOT NULL,
    month DATE NOT NULL,
    closed_by INTEGER NOT NULL REFERENCES users (id),
    closed_at TIMESTAMP NOT NULL,
    UNIQUE (region_code, month)
);
-- The frozen recap of a closing: one line per agent for the month itself (source_month = the
-- period's month), and one per agent and earlier closed month whose figures changed since
-- (an adjustment, source_month = that earlier month).
CREATE TABLE recap_lines (
    period_id INTEGER NOT NULL REFERENCES recap_periods (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    source_month DATE NOT NULL,
    visits BIGINT NOT NULL,
    households BIGINT NOT NULL,
    revisits_due BIGINT NOT NULL,
    revisits_kept BIGINT NOT NULL,
    reactivations_reported BIGINT NOT NULL,
    reactivations_confirmed BIGINT NOT NULL,
    reactivations_rejected BIGINT NOT NULL,
    registrations_reported BIGINT NOT NULL,
    registrations_confirmed BIGINT NOT NULL,
    registrations_rejected BIGINT NOT NULL,
    median_days INTEGER,
    amount BIGINT NOT NULL,
    PRIMARY KEY (period_id, user_id, source_month)
);
