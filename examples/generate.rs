//! Generates a benchmark database at Kota Bandung scale: households and members in all 151
//! kelurahan (2.6 million members by default), their dated figures, field activity counters,
//! and, with `--national`, figures for every desa/kelurahan of the country. Also creates the
//! users the load script logs in as. Everything is synthetic and made from a fixed seed.
//!
//!     cargo run --release --example generate -- --database-url bench.db [--members N] [--national]

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use clap::Parser;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use pesiar::config::DatabaseUrl;
use pesiar::db::schema::{field_activity, households, members, regions, users};
use pesiar::db::{DbConnection, establish, write_transaction};
use pesiar::demo_data::Rng;
use pesiar::with_backend;

#[derive(Parser)]
struct Args {
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Members spread over the 151 kelurahan of Kota Bandung.
    #[arg(long, default_value_t = 2_600_000)]
    members: usize,
    /// Also load figures for every desa/kelurahan in the country (for the national roll-up).
    #[arg(long)]
    national: bool,
    /// Field agents for the visit-submission load, `bench.agen001`…, spread over the kelurahan.
    #[arg(long, default_value_t = 200)]
    agents: usize,
    /// Password of the benchmark users (bench.admin, bench.spv, bench.agen, bench.agenNNN).
    #[arg(long, env = "BENCH_PASSWORD", default_value = "bench-password-2026")]
    password: String,
}

fn codes(conn: &mut DbConnection, low: &str, high: &str) -> Vec<String> {
    regions::table
        .filter(regions::code.ge(low))
        .filter(regions::code.lt(high))
        .filter(regions::level.eq("desa_kelurahan"))
        .select(regions::code)
        .order(regions::code)
        .load(conn)
        .expect("regions")
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let url = DatabaseUrl::parse(&args.database_url)?;
    let started = Instant::now();
    pesiar::db::migrate(&url)?;
    let mut conn = establish(&url)?;
    let bandung = codes(&mut conn, "32.73.", "32.73/");
    create_users(&url, &args.password, &bandung, args.agents)?;
    let agent_id: i32 = users::table
        .filter(users::username.eq("bench.agen"))
        .select(users::id)
        .first(&mut conn)?;

    let mut rng = Rng(0xB4D0_0000_2026_0001);
    let per_kelurahan = args.members / bandung.len().max(1);
    let now = Utc::now().naive_utc();
    let mut figures_csv =
        String::from("kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif\n");
    let mut serial: u64 = 0;
    for (k, code) in bandung.iter().enumerate() {
        let (mut registered, mut active) = (0i64, 0i64);
        write_transaction(&mut conn, |conn| -> anyhow::Result<()> {
            let mut remaining = per_kelurahan;
            let mut household_rows = Vec::new();
            let mut sizes = Vec::new();
            while remaining > 0 {
                let size = (1 + rng.below(6) as usize).min(remaining);
                remaining -= size;
                sizes.push(size);
                household_rows.push((
                    households::region_code.eq(code.clone()),
                    households::rt.eq(format!("{:03}", 1 + rng.below(15))),
                    households::rw.eq(format!("{:03}", 1 + rng.below(20))),
                    households::address.eq(format!(
                        "Jl. Contoh {} No. {}",
                        k + 1,
                        household_rows.len() + 1
                    )),
                    households::landmark.eq(""),
                    households::search_text.eq(format!(
                        "jl. contoh {} no. {}",
                        k + 1,
                        household_rows.len() + 1
                    )),
                    households::open_members.eq(0),
                    households::priority_members.eq(0),
                    households::created_at.eq(now),
                    households::updated_at.eq(now),
                ));
            }
            let mut ids: Vec<i32> = Vec::with_capacity(household_rows.len());
            for chunk in household_rows.chunks(2_000) {
                let got: Vec<i32> = with_backend!(conn, c => diesel::insert_into(households::table)
                    .values(chunk)
                    .returning(households::id)
                    .get_results(c))?;
                ids.extend(got);
            }
            let mut member_rows = Vec::with_capacity(per_kelurahan);
            for (household, size) in ids.iter().zip(&sizes) {
                for i in 0..*size {
                    serial += 1;
                    let female = rng.below(2) == 1;
                    let birth = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap()
                        + chrono::Duration::days((serial % 30_000) as i64);
                    use chrono::Datelike;
                    let nik = format!(
                        "{}{:02}{:02}{:02}{:04}",
                        code[..8].replace('.', ""),
                        birth.day() + if female { 40 } else { 0 },
                        birth.month(),
                        birth.year() % 100,
                        serial / 30_000 + 1
                    );
                    let roll = rng.below(1000);
                    let (segment, status, reason) = match roll {
                        0..=39 => ("belum_terdaftar", "belum_terdaftar", None),
                        40..=239 => ("pbpu", "nonaktif", Some("tunggakan")),
                        240..=259 => ("pbi_jk", "nonaktif", Some("pbi_dinonaktifkan")),
                        260..=399 => ("pbpu", "aktif", None),
                        400..=699 => ("pbi_jk", "aktif", None),
                        700..=899 => ("ppu_bu", "aktif", None),
                        _ => ("ppu_pn", "aktif", None),
                    };
                    if status != "belum_terdaftar" {
                        registered += 1;
                    }
                    if status == "aktif" {
                        active += 1;
                    }
                    member_rows.push((
                        members::household_id.eq(*household),
                        members::nik.eq(Some(nik)),
                        members::name.eq(format!("Warga {serial}")),
                        members::name_search.eq(format!("warga {serial}")),
                        members::sex.eq(if female { "P" } else { "L" }),
                        members::birth_date.eq(birth),
                        members::relationship.eq(if i == 0 { "kepala_keluarga" } else { "anak" }),
                        members::segment.eq(segment),
                        members::class.eq(if segment == "pbpu" { Some("3") } else { None }),
                        members::status.eq(status),
                        members::inactive_reason.eq(reason),
                        members::created_at.eq(now),
                        members::updated_at.eq(now),
                    ));
                }
            }
            for chunk in member_rows.chunks(2_000) {
                with_backend!(conn, c => diesel::insert_into(members::table).values(chunk).execute(c))?;
            }
            diesel::insert_into(field_activity::table)
                .values((
                    field_activity::region_code.eq(code),
                    field_activity::user_id.eq(agent_id),
                    field_activity::visits.eq(200 + rng.below(300) as i32),
                    field_activity::households.eq(150 + rng.below(100) as i32),
                    field_activity::reported.eq(rng.below(40) as i32),
                    field_activity::confirmed.eq(rng.below(80) as i32),
                    field_activity::rejected.eq(rng.below(10) as i32),
                ))
                .execute(conn)?;
            Ok(())
        })?;
        let population = registered * 10_000 / 9_920;
        for (date, share) in [("2025-03-31", 985), ("2025-06-30", 1000)] {
            figures_csv.push_str(&format!(
                "{code},{date},{population},{registered},{}\n",
                active * share / 1000
            ));
        }
        if k % 15 == 0 {
            eprintln!(
                "{}/{} kelurahan, {} members, {:.0?}",
                k + 1,
                bandung.len(),
                serial,
                started.elapsed()
            );
        }
    }
    conn.batch_execute(
        "UPDATE households SET \
         open_members = (SELECT COUNT(*) FROM members m WHERE m.household_id = households.id AND m.status IN ('nonaktif', 'belum_terdaftar')), \
         priority_members = (SELECT COUNT(*) FROM members m WHERE m.household_id = households.id AND m.status = 'nonaktif' AND m.inactive_reason IN ('tunggakan', 'pbi_dinonaktifkan'))",
    )?;
    // As households::worklist_rank, for households never visited.
    conn.batch_execute(
        "UPDATE households SET worklist_rank = CASE WHEN open_members = 0 THEN 900000000 \
         WHEN priority_members > 0 THEN 0 ELSE 100000000 END",
    )?;
    if args.national {
        let mut rng = Rng(0xB4D0_0000_2026_0002);
        for code in codes(&mut conn, "1", "99") {
            if code.starts_with("32.73.") {
                continue;
            }
            let population = 1_000 + rng.below(15_000) as i64;
            let registered = population * (9_500 + rng.below(500) as i64) / 10_000;
            let active = registered * (7_000 + rng.below(2_500) as i64) / 10_000;
            figures_csv.push_str(&format!(
                "{code},2025-06-30,{population},{registered},{active}\n"
            ));
        }
    }
    let path = std::env::temp_dir().join("pesiar-bench-figures.csv");
    std::fs::write(&path, &figures_csv)?;
    let table = pesiar::tabular::Table::from_csv(
        figures_csv.into_bytes(),
        pesiar::tabular::Limits::FIGURES,
    )
    .map_err(anyhow::Error::msg)?;
    let rows = pesiar::figures::parse::parse_rows(table, false, pesiar::web::today())
        .into_result()
        .map_err(|e| anyhow::anyhow!("{} bad rows", e.len()))?
        .rows;
    match pesiar::figures::store::import(&mut conn, &rows, None, "bench") {
        Ok(summary) => eprintln!(
            "figures: {} rows on {} dates",
            summary.rows,
            summary.dates.len()
        ),
        Err(_) => anyhow::bail!("figures import failed"),
    }
    if url.is_sqlite() {
        conn.batch_execute("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")?;
    } else {
        conn.batch_execute("ANALYZE")?;
    }
    eprintln!("done: {serial} members in {:.1?}", started.elapsed());
    Ok(())
}

fn create_users(
    url: &DatabaseUrl,
    password: &str,
    kelurahan: &[String],
    agents: usize,
) -> anyhow::Result<()> {
    let mut users = vec![
        ("bench.admin".to_string(), "admin", String::new()),
        ("bench.spv".to_string(), "supervisor", "32.73".to_string()),
        ("bench.agen".to_string(), "agent", kelurahan[0].clone()),
    ];
    for i in 0..agents {
        users.push((
            format!("bench.agen{:03}", i + 1),
            "agent",
            kelurahan[i % kelurahan.len()].clone(),
        ));
    }
    for (username, role, areas) in users {
        let form = pesiar::users::forms::NewUserForm {
            username: username.clone(),
            full_name: username.clone(),
            phone: String::new(),
            role: role.into(),
            areas,
            password: password.into(),
        };
        if let Err(e) = pesiar::cli::add_user(url, &form, false) {
            eprintln!("{username}: {e} (kept)");
        }
    }
    Ok(())
}
