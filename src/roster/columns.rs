//! The columns of a roster extract and the names BPJS offices give them.

use crate::tabular::header_key;

/// The columns of an extract, in the order rows are given to `check`.
pub const COLUMNS: [&str; 17] = [
    "nik",
    "no_kk",
    "nama",
    "jenis_kelamin",
    "tanggal_lahir",
    "kode_wilayah",
    "rt",
    "rw",
    "alamat",
    "no_kartu_jkn",
    "segmen",
    "kelas",
    "status",
    "alasan_nonaktif",
    "bulan_tunggakan",
    "jumlah_tunggakan",
    "perangkat_desa",
];
/// The names each column goes by as BPJS offices write them, compared after
/// `tabular::header_key` with the `_` left out (`No. KK`, `NoKK` and `Nomor KK` are one).
const ALIASES: [(&str, &[&str]); 17] = [
    (
        "nik",
        &[
            "nik",
            "no_nik",
            "nomor_nik",
            "nik_peserta",
            "nomor_induk_kependudukan",
        ],
    ),
    (
        "no_kk",
        &[
            "no_kk",
            "nomor_kk",
            "kk",
            "nik_kk",
            "no_kartu_keluarga",
            "nomor_kartu_keluarga",
        ],
    ),
    ("nama", &["nama", "nama_peserta", "nama_lengkap"]),
    (
        "jenis_kelamin",
        &["jenis_kelamin", "jk", "kelamin", "l_p", "sex"],
    ),
    (
        "tanggal_lahir",
        &[
            "tanggal_lahir",
            "tgl_lahir",
            "tgl_lhr",
            "tanggal_lhr",
            "tgllahir",
        ],
    ),
    (
        "kode_wilayah",
        &[
            "kode_wilayah",
            "kode_wil",
            "kd_wilayah",
            "kode_desa",
            "kode_kelurahan",
            "kode_desa_kelurahan",
            "kode_kemendagri",
        ],
    ),
    ("rt", &["rt"]),
    ("rw", &["rw"]),
    ("alamat", &["alamat", "alamat_peserta", "alamat_lengkap"]),
    (
        "no_kartu_jkn",
        &[
            "no_kartu_jkn",
            "nomor_kartu_jkn",
            "no_kartu",
            "nomor_kartu",
            "no_kartu_bpjs",
            "nomor_kartu_bpjs",
            "no_jkn",
            "nomor_jkn",
            "no_peserta",
            "nomor_peserta",
            "noka",
        ],
    ),
    (
        "segmen",
        &["segmen", "segmen_peserta", "jenis_peserta", "segmentasi"],
    ),
    ("kelas", &["kelas", "kelas_rawat", "hak_kelas"]),
    (
        "status",
        &["status", "status_peserta", "status_kepesertaan"],
    ),
    (
        "alasan_nonaktif",
        &[
            "alasan_nonaktif",
            "alasan_non_aktif",
            "alasan_tidak_aktif",
            "keterangan_nonaktif",
            "ket_nonaktif",
        ],
    ),
    (
        "bulan_tunggakan",
        &[
            "bulan_tunggakan",
            "jumlah_bulan_tunggakan",
            "jml_bulan_tunggakan",
            "jml_bln_tunggak",
            "bulan_tunggak",
            "lama_tunggakan",
            "tunggakan_bulan",
        ],
    ),
    (
        "jumlah_tunggakan",
        &[
            "jumlah_tunggakan",
            "jml_tunggakan",
            "total_tunggakan",
            "nominal_tunggakan",
            "tunggakan_rp",
            "tunggakan_iuran",
            "nilai_tunggakan",
        ],
    ),
    (
        "perangkat_desa",
        &[
            "perangkat_desa",
            "perangkat",
            "aparatur_desa",
            "aparat_desa",
            "kades_perangkat",
            "kepala_desa_perangkat",
            "kades_perangkat_desa",
            "perangkat_desa_kades",
        ],
    ),
];

/// Columns a file must have; the others may be left out.
pub(super) const REQUIRED: [&str; 7] = [
    "nik",
    "nama",
    "jenis_kelamin",
    "tanggal_lahir",
    "kode_wilayah",
    "segmen",
    "status",
];

/// The column a header cell names, if any.
pub(super) fn column_of(cell: &str) -> Option<&'static str> {
    let compact = |name: &str| name.replace('_', "");
    let key = compact(&header_key(cell));
    ALIASES
        .iter()
        .find(|(_, names)| names.iter().any(|n| compact(n) == key))
        .map(|(column, _)| *column)
}
