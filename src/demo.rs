//! `pesiar demo`: a fresh demo database with one user per role, printed with their passwords,
//! then the server over plain HTTP.

use anyhow::bail;
use diesel::prelude::*;

use crate::config::{Config, DatabaseUrl, secret_file_for};
use crate::db::schema::app_meta;
use crate::db::{self, establish};
use crate::random::random_token;
use crate::users::forms::NewUserForm;

pub struct DemoLogin {
    pub username: &'static str,
    pub role_label: &'static str,
    pub areas: &'static str,
    pub password: String,
}

/// Demo users in real Kota Bandung units (32.73): the city, Kecamatan Coblong, and
/// Kelurahan Dago, Sekeloa and Sadang Serang.
const DEMO_USERS: &[(&str, &str, &str, &str)] = &[
    ("admin", "Admin Demo", "admin", ""),
    (
        "supervisor",
        "Supervisor Kota Bandung",
        "supervisor",
        "32.73",
    ),
    (
        "agen",
        "Agen PESIAR Coblong",
        "agent",
        "32.73.02.1004 32.73.02.1005",
    ),
    ("kader", "Kader JKN Sadang Serang", "kader", "32.73.02.1003"),
    ("camat", "Kantor Camat Coblong", "office", "32.73.02"),
];

const DEMO_MARKER: &str = "demo";

/// Wipes the previous demo database (SQLite file, or a PostgreSQL database that pesiar itself
/// marked as a demo) and builds a new one. Returns the logins.
pub fn prepare(database: &DatabaseUrl) -> anyhow::Result<Vec<DemoLogin>> {
    match database {
        DatabaseUrl::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.as_os_str().to_owned();
                file.push(suffix);
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => bail!("tidak dapat menghapus {}: {e}", path.display()),
                }
            }
        }
        DatabaseUrl::Postgres(_) => {
            let mut conn = establish(database)?;
            let has_tables = diesel::sql_query("SELECT 1 FROM app_meta LIMIT 1")
                .execute(&mut conn)
                .is_ok();
            if has_tables {
                let marked: Option<String> = app_meta::table
                    .find(DEMO_MARKER)
                    .select(app_meta::value)
                    .first(&mut conn)
                    .optional()?;
                if marked.is_none() {
                    bail!(
                        "basis data PostgreSQL ini berisi data pesiar yang bukan demo; demo tidak akan menghapusnya"
                    );
                }
                db::revert_all(database)?;
            }
        }
    }
    db::migrate(database)?;
    let mut conn = establish(database)?;
    diesel::insert_into(app_meta::table)
        .values((app_meta::key.eq(DEMO_MARKER), app_meta::value.eq("1")))
        .execute(&mut conn)?;
    let mut logins = Vec::new();
    for (username, full_name, role, areas) in DEMO_USERS {
        let password = format!("demo-{}", random_token(9));
        let form = NewUserForm {
            username: username.to_string(),
            full_name: full_name.to_string(),
            phone: String::new(),
            role: role.to_string(),
            areas: areas.to_string(),
            password: password.clone(),
        };
        crate::users::queries::add_user(database, &form, false)?;
        logins.push(DemoLogin {
            username,
            role_label: crate::users::Role::parse(role).map_or("", |r| r.label()),
            areas,
            password,
        });
    }
    let mut conn = establish(database)?;
    let user = |conn: &mut crate::db::DbConnection, name: &str| {
        crate::auth::CurrentUser::load(conn, name)?
            .ok_or_else(|| anyhow::anyhow!("demo user {name} missing"))
    };
    let agent = user(&mut conn, "agen")?;
    let kader = user(&mut conn, "kader")?;
    let supervisor = user(&mut conn, "supervisor")?;
    let (households, members, visits) =
        crate::demo_data::seed(&mut conn, &agent, &kader, &supervisor, crate::web::today())?;
    let kelurahan: Vec<String> = {
        use crate::db::schema::regions;
        regions::table
            .filter(regions::code.ge("32.73."))
            .filter(regions::code.lt("32.73/"))
            .filter(regions::level.eq("desa_kelurahan"))
            .select(regions::code)
            .load(&mut conn)?
    };
    let rows = crate::demo_data::figures_rows(&kelurahan);
    match crate::figures::store::import(&mut conn, &rows, None, "demo") {
        Ok(_) => {}
        Err(crate::figures::store::ImportError::App(e)) => return Err(e.into()),
        Err(crate::figures::store::ImportError::Rows(errors)) => {
            anyhow::bail!("demo figures refused: {} rows", errors.len())
        }
    }
    println!(
        "Data contoh (fiktif): {households} rumah tangga, {members} anggota, {visits} kunjungan di Kelurahan Dago, Sekeloa dan Sadang Serang; angka penduduk dan peserta {} kelurahan Kota Bandung pada 3 tanggal.",
        kelurahan.len()
    );
    Ok(logins)
}

pub fn run(mut config: Config) -> anyhow::Result<()> {
    let logins = prepare(&config.database)?;
    if config.secret_key.is_none() {
        match &config.database {
            // A fresh key beside the fresh demo file.
            DatabaseUrl::Sqlite(path) => {
                let _ = std::fs::remove_file(secret_file_for(path));
            }
            // Demo on PostgreSQL: an ephemeral key (sessions end when the demo stops).
            DatabaseUrl::Postgres(_) => config.secret_key = Some(random_token(48)),
        }
    }
    println!();
    println!("Demo pesiar siap di http://{}/login", config.bind);
    println!("Basis data: {}", config.database.redacted());
    println!();
    println!(
        "{:<12} {:<20} {:<24} WILAYAH",
        "PENGGUNA", "PERAN", "KATA SANDI"
    );
    for login in &logins {
        println!(
            "{:<12} {:<20} {:<24} {}",
            login.username, login.role_label, login.password, login.areas
        );
    }
    println!();
    actix_web::rt::System::new().block_on(crate::app::serve(&config))
}
