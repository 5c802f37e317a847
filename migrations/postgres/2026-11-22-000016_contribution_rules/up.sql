-- The money rules of coming back (tariffs, arrears, REHAB, denda pelayanan) as dated values: each
-- row is in force from its date until the next row of the same rule, so a new Perpres is a new row.
-- Whole rupiah, months, days, or basis points (500 = 5%).
CREATE TABLE contribution_rules (
    rule TEXT NOT NULL,
    valid_from DATE NOT NULL,
    value BIGINT NOT NULL,
    basis TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (rule, valid_from)
);
INSERT INTO contribution_rules (rule, valid_from, value, basis, created_at) VALUES
    ('iuran_kelas_1', '2020-07-01', 150000, 'Perpres 64/2020 Pasal 34', CURRENT_TIMESTAMP),
    ('iuran_kelas_2', '2020-07-01', 100000, 'Perpres 64/2020 Pasal 34', CURRENT_TIMESTAMP),
    ('iuran_kelas_3', '2021-01-01', 42000, 'Perpres 64/2020 Pasal 34', CURRENT_TIMESTAMP),
    ('iuran_kelas_3_peserta', '2021-01-01', 35000, 'Perpres 64/2020 Pasal 34 (bantuan iuran Rp 7.000)', CURRENT_TIMESTAMP),
    ('tunggakan_maks_bulan', '2020-07-01', 24, 'Perpres 64/2020 Pasal 42', CURRENT_TIMESTAMP),
    ('rehab_min_bulan', '2021-01-01', 4, 'Program REHAB BPJS Kesehatan', CURRENT_TIMESTAMP),
    ('rehab_maks_cicilan', '2021-01-01', 12, 'Program REHAB BPJS Kesehatan', CURRENT_TIMESTAMP),
    ('rehab_batas_tanggal', '2021-01-01', 28, 'Program REHAB BPJS Kesehatan (Februari: 27)', CURRENT_TIMESTAMP),
    ('denda_persen_bp', '2020-07-01', 500, 'Perpres 64/2020 Pasal 42', CURRENT_TIMESTAMP),
    ('denda_maks_bulan', '2020-07-01', 12, 'Perpres 64/2020 Pasal 42', CURRENT_TIMESTAMP),
    ('denda_maks_rupiah', '2020-07-01', 30000000, 'Perpres 64/2020 Pasal 42', CURRENT_TIMESTAMP),
    ('denda_hari', '2020-07-01', 45, 'Perpres 64/2020 Pasal 42', CURRENT_TIMESTAMP),
    ('pemutihan_maks_bulan', '2025-10-01', 24, 'Penghapusan tunggakan peserta miskin yang pindah ke PBI / PBPU Pemda', CURRENT_TIMESTAMP);
