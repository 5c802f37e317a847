//! Writes a generated BPJS roster extract for the 151 kelurahan of Kota Bandung, for the import
//! benchmark (`bench/roster.sh`). Deterministic: the same arguments give the same file.
//!
//!   cargo run --release --example roster -- --members 2600000 --out roster-1.csv
//!   cargo run --release --example roster -- --members 2600000 --changed 10 --out roster-2.csv
//!
//! About 1 in 5 members is inactive (Bandung's keaktifan is near 80%); `--changed P` flips the
//! status of P% of the members, as a later extract would.

use std::io::{BufWriter, Read, Write};

use clap::Parser;
use pesiar::demo_data::Rng;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 2_600_000)]
    members: usize,
    /// Percentage of members whose status differs from the first extract.
    #[arg(long, default_value_t = 0)]
    changed: u64,
    #[arg(long)]
    out: std::path::PathBuf,
}

const GIVEN: [&str; 16] = [
    "Siti", "Budi", "Dewi", "Agus", "Sri", "Asep", "Rina", "Dedi", "Yanti", "Ujang", "Nining",
    "Cecep", "Euis", "Iwan", "Lilis", "Ahmad",
];
const FAMILY: [&str; 12] = [
    "Rahayu",
    "Hidayat",
    "Kurniawan",
    "Lestari",
    "Suryadi",
    "Permana",
    "Nurhayati",
    "Saputra",
    "Wibowo",
    "Setiawan",
    "Maulana",
    "Gunawan",
];
const SEGMENTS: [(&str, u64); 6] = [
    ("PBI APBN", 30),
    ("PBI APBD", 15),
    ("PPU PN", 8),
    ("PPU BU", 22),
    ("Mandiri", 22),
    ("BP", 3),
];

fn kelurahan() -> Vec<String> {
    let gz = std::fs::File::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/regions/wilayah_2025.csv.gz"
    ))
    .expect("region list");
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut text)
        .expect("read region list");
    text.lines()
        .filter_map(|l| l.split(',').next())
        .filter(|c| c.starts_with("32.73.") && c.len() == 13)
        .map(str::to_string)
        .collect()
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let codes = kelurahan();
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&args.out)?);
    writeln!(
        out,
        "nik,no_kk,nama,jenis_kelamin,tanggal_lahir,kode_wilayah,rt,rw,alamat,no_kartu_jkn,segmen,kelas,status,alasan_nonaktif"
    )?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut flips = Rng(0x2545_f491_4f6c_dd1d);
    let per_kelurahan = args.members.div_ceil(codes.len());
    let mut written = 0usize;
    let mut family = 0u64;
    let mut used: std::collections::HashSet<u64> = std::collections::HashSet::new();
    'outer: for (k, code) in codes.iter().enumerate() {
        let compact: String = code.replace('.', "");
        let mut in_kelurahan = 0;
        while in_kelurahan < per_kelurahan {
            family += 1;
            let size = 1 + rng.below(6) as usize;
            let rt = 1 + rng.below(15);
            let rw = 1 + rng.below(12);
            let street = FAMILY[rng.below(FAMILY.len() as u64) as usize];
            let kk = format!("{}{:010}", &compact[..6], family);
            let surname = FAMILY[rng.below(FAMILY.len() as u64) as usize];
            for _ in 0..size {
                if written == args.members {
                    break 'outer;
                }
                written += 1;
                in_kelurahan += 1;
                let female = rng.below(2) == 0;
                let (day, month, year) =
                    (1 + rng.below(28), 1 + rng.below(12), 1940 + rng.below(84));
                // The serial keeps NIKs unique among people born on one day in one kecamatan.
                let mut serial = 1 + written as u64 % 9999;
                let nik = loop {
                    let nik = format!(
                        "{}{:02}{:02}{:02}{:04}",
                        &compact[..6],
                        day + if female { 40 } else { 0 },
                        month,
                        year % 100,
                        serial
                    );
                    if used.insert(nik.parse::<u64>().unwrap_or_default()) {
                        break nik;
                    }
                    serial = serial % 9999 + 1;
                };
                let (segment, _) = {
                    let mut pick = rng.below(100);
                    let mut chosen = SEGMENTS[0];
                    for s in SEGMENTS {
                        if pick < s.1 {
                            chosen = s;
                            break;
                        }
                        pick -= s.1;
                    }
                    chosen
                };
                let mut active = rng.below(100) >= 20;
                if args.changed > 0 && flips.below(100) < args.changed {
                    active = !active;
                }
                let class = if matches!(segment, "Mandiri" | "BP") {
                    ["1", "2", "3"][rng.below(3) as usize]
                } else {
                    ""
                };
                let reason = match (active, segment) {
                    (true, _) => "",
                    (false, "Mandiri" | "BP") => "Menunggak",
                    (false, "PBI APBN") => "PBI dinonaktifkan",
                    (false, "PPU BU") => "PHK",
                    (false, "PBI APBD") => "Kuota Pemda",
                    (false, _) => "Lainnya",
                };
                writeln!(
                    out,
                    "{nik},{kk},{} {},{},{year}-{month:02}-{day:02},{compact},{rt},{rw},Jl. {street} No. {},{:013},{segment},{class},{},{reason}",
                    GIVEN[rng.below(GIVEN.len() as u64) as usize],
                    surname,
                    if female { "P" } else { "L" },
                    1 + family % 300,
                    k as u64 * 10_000_000 + written as u64,
                    if active { "AKTIF" } else { "NON AKTIF" },
                )?;
            }
        }
    }
    out.flush()?;
    eprintln!("{written} members written to {}", args.out.display());
    Ok(())
}
