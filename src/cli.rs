//! The command line: `serve` (default), `migrate`, `demo`, `user add`, `user reset-password`,
//! `token create|list|revoke`, `import`, `backup`.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, bail};
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};

use crate::config::{Config, DatabaseUrl};
use crate::users::Role;
use crate::users::forms::{NewUserForm, check_password};
// `pesiar user add` and `pesiar demo` store users the same way.
pub use crate::users::queries::add_user;
use crate::users::queries::{self as user_queries};
use crate::{auth, db};

#[derive(Parser, Debug)]
#[command(
    name = "pesiar",
    version,
    about = "Kerja lapangan JKN menuju UHC Prioritas"
)]
pub struct Cli {
    #[command(flatten)]
    pub options: GlobalOptions,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalOptions {
    /// SQLite path (or sqlite://…) or postgres://… [default: pesiar.db; demo.db for `demo`]
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Address to listen on.
    #[arg(
        long,
        env = "PESIAR_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,
    /// Session key (≥ 32 characters). Generated and kept beside a SQLite database if unset.
    #[arg(long, env = "PESIAR_SECRET_KEY", hide_env_values = true, global = true)]
    pub secret_key: Option<String>,
    /// Mark cookies Secure (HTTPS only) [default: true; false for `demo`]. Turn off only for
    /// plain-HTTP local use. Accepts true/false, yes/no, on/off, 1/0.
    #[arg(long, env = "PESIAR_SECURE_COOKIES", global = true, action = ArgAction::Set,
          value_parser = BoolishValueParser::new())]
    pub secure_cookies: Option<bool>,
    /// Number of reverse-proxy hops in front of pesiar (each appends to X-Forwarded-For); the
    /// client address is that many entries from the right of X-Forwarded-For [default: 0, the
    /// TCP peer].
    #[arg(long, env = "PESIAR_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<usize>,
    /// Same as `--trusted-proxies 1` (kept for existing deployments).
    #[arg(long, env = "PESIAR_BEHIND_PROXY", global = true, action = ArgAction::Set,
          value_parser = BoolishValueParser::new())]
    pub behind_proxy: Option<bool>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web application (the default).
    Serve,
    /// Apply database migrations and load the region list.
    Migrate,
    /// Start afresh with a demo database and demo users, then serve over plain HTTP.
    Demo,
    /// Manage users.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Import data files.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// The dated rules of contributions, arrears, REHAB and denda (as /admin/iuran).
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Write a consistent copy of a live SQLite database to FILE (for PostgreSQL use pg_dump).
    Backup { file: std::path::PathBuf },
}

/// `pesiar config`: the contribution rules, and the incentive rates under `insentif`.
#[derive(Subcommand, Debug)]
pub enum ConfigAction {
    #[command(flatten)]
    Rules(crate::contributions::command::ConfigCommand),
    /// Incentive rates per confirmed outcome, per area and date (as /admin/insentif).
    Insentif {
        #[command(subcommand)]
        action: crate::recap::command::RateCommand,
    },
    /// The places funded for Pemda-paid membership per kab/kota and date (as /pemda/{kode}).
    Kuota {
        #[command(subcommand)]
        action: crate::pemda::command::QuotaCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Dated figures per desa/kelurahan (CSV or XLSX): kode_wilayah,tanggal,penduduk,
    /// peserta_terdaftar,peserta_aktif [,terdaftar_<segmen>,aktif_<segmen>…]. All rows or none.
    Figures {
        file: std::path::PathBuf,
        /// Only check the file and say what importing it would do; change nothing.
        #[arg(long)]
        periksa: bool,
    },
    /// A BPJS member roster extract (CSV or XLSX): nik,no_kk,nama,jenis_kelamin,tanggal_lahir,
    /// kode_wilayah,rt,rw,alamat,no_kartu_jkn,segmen,kelas,status,alasan_nonaktif. Valid rows are
    /// kept, invalid ones listed; running the same file again is safe.
    Roster {
        file: std::path::PathBuf,
        /// The date of the extract (YYYY-MM-DD).
        #[arg(long = "tanggal", value_parser = parse_extract_date)]
        date: chrono::NaiveDate,
        /// Where to write the invalid rows as CSV (line, column, value, message).
        #[arg(long = "galat")]
        errors: Option<std::path::PathBuf>,
        /// Import as this supervisor or admin: only members living in their areas are
        /// matched; rows of members elsewhere are held. Without it, the import acts as admin.
        #[arg(long = "as", value_name = "USERNAME")]
        as_user: Option<String>,
    },
}

fn parse_extract_date(raw: &str) -> Result<chrono::NaiveDate, String> {
    let date =
        crate::members::forms::parse_date(raw).ok_or_else(|| format!("bukan tanggal: {raw}"))?;
    // Figures derived from an extract carry its date: a future one would become every page's.
    if date > crate::web::today() {
        return Err(format!("tanggal ekstrak di masa depan: {raw}"));
    }
    Ok(date)
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token acting as this user (printed once; only its hash is kept).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "")]
        label: String,
        /// Days until the token expires (1–3650).
        #[arg(long = "expires", value_name = "DAYS", default_value_t = auth::tokens::DEFAULT_DAYS,
              value_parser = clap::value_parser!(i64).range(1..=auth::tokens::MAX_DAYS))]
        expires: i64,
    },
    /// List API tokens (of one user with --username): id, owner, label, dates, state.
    List {
        #[arg(long)]
        username: Option<String>,
    },
    /// Revoke an API token by the id shown in `token list` (or on /admin/token).
    Revoke { id: i32 },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input (or prompted), never an argument.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long, value_enum)]
        role: Role,
        /// Region code of an area (repeat for several), e.g. --area 32.73.02.1004
        #[arg(long = "area")]
        areas: Vec<String>,
        /// Full name (defaults to the username).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        phone: Option<String>,
    },
    /// Set a new password for a user (read from standard input or prompted) and end their sessions.
    ResetPassword {
        #[arg(long)]
        username: String,
    },
}

impl GlobalOptions {
    pub fn config(&self, default_database: &str, default_secure: bool) -> anyhow::Result<Config> {
        let url = self.database_url.as_deref().unwrap_or(default_database);
        Ok(Config {
            database: DatabaseUrl::parse(url)?,
            bind: self.bind.clone(),
            secret_key: self.secret_key.clone().filter(|s| !s.is_empty()),
            secure_cookies: self.secure_cookies.unwrap_or(default_secure),
            trusted_proxies: self
                .trusted_proxies
                .unwrap_or(usize::from(self.behind_proxy.unwrap_or(false))),
        })
    }
}

pub fn main() {
    let args: Vec<String> = std::env::args().collect();
    // The XLSX reader's child process (see `tabular`): no logging, no database, nothing else.
    if args.get(1).map(String::as_str) == Some(crate::tabular::CHILD_COMMAND) {
        crate::tabular::child_main(&args[2..]);
    }
    if let Ok(exe) = std::env::current_exe() {
        crate::tabular::use_program(exe);
    }
    init_tracing();
    let cli = Cli::parse();
    if let Err(err) = run(cli) {
        eprintln!("galat: {err:#}");
        std::process::exit(1);
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let config = cli.options.config("pesiar.db", true)?;
            ensure_creatable(&config.database)?;
            actix_web::rt::System::new().block_on(crate::app::serve(&config))
        }
        Command::Migrate => {
            let config = cli.options.config("pesiar.db", true)?;
            ensure_creatable(&config.database)?;
            db::migrate(&config.database)?;
            println!("Migrasi selesai: {}", config.database.redacted());
            Ok(())
        }
        Command::Demo => {
            let config = cli.options.config("demo.db", false)?;
            crate::demo::run(config)
        }
        Command::Import {
            what: ImportCommand::Figures { file, periksa },
        } => {
            let config = cli.options.config("pesiar.db", true)?;
            ensure_exists(&config.database)?;
            db::migrate(&config.database)?;
            import_figures(&config.database, &file, periksa)
        }
        Command::Backup { file } => {
            let config = cli.options.config("pesiar.db", true)?;
            ensure_exists(&config.database)?;
            let started = std::time::Instant::now();
            db::backup(&config.database, &file)?;
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            println!(
                "Cadangan ditulis ke {} ({:.1} MB, {:.1} dtk).",
                file.display(),
                size as f64 / 1e6,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Import {
            what:
                ImportCommand::Roster {
                    file,
                    date,
                    errors,
                    as_user,
                },
        } => {
            let config = cli.options.config("pesiar.db", true)?;
            ensure_exists(&config.database)?;
            db::migrate(&config.database)?;
            import_roster(
                &config.database,
                &file,
                date,
                errors.as_deref(),
                as_user.as_deref(),
            )
        }
        Command::Config { action } => {
            let config = cli.options.config("pesiar.db", true)?;
            ensure_exists(&config.database)?;
            db::migrate(&config.database)?;
            let mut conn = db::establish(&config.database)?;
            match action {
                ConfigAction::Rules(action) => {
                    crate::contributions::command::run(&mut conn, action)
                }
                ConfigAction::Insentif { action } => crate::recap::command::run(&mut conn, action),
                ConfigAction::Kuota { action } => crate::pemda::command::run(&mut conn, action),
            }
        }
        Command::Token { action } => {
            let config = cli.options.config("pesiar.db", true)?;
            ensure_exists(&config.database)?;
            db::migrate(&config.database)?;
            let mut conn = db::establish(&config.database)?;
            token_command(&mut conn, action)
        }
        Command::User { action } => {
            let config = cli.options.config("pesiar.db", true)?;
            ensure_exists(&config.database)?;
            db::migrate(&config.database)?;
            match action {
                UserCommand::Add {
                    username,
                    role,
                    areas,
                    name,
                    phone,
                } => {
                    let password = read_password(&username)?;
                    let form = NewUserForm {
                        full_name: name.unwrap_or_else(|| username.clone()),
                        username,
                        phone: phone.unwrap_or_default(),
                        role: role.as_str().to_string(),
                        areas: areas.join("\n"),
                        password,
                    };
                    let id = add_user(&config.database, &form, false)?;
                    println!("Pengguna dibuat (id {id}).");
                    Ok(())
                }
                UserCommand::ResetPassword { username } => {
                    let username = username.trim().to_lowercase();
                    let password = read_password(&username)?;
                    let mut conn = db::establish(&config.database)?;
                    let user = user_queries::find_by_username(&mut conn, &username)?
                        .with_context(|| format!("pengguna {username} tidak ada"))?;
                    let hash = auth::password::hash(&password)?;
                    user_queries::set_password(&mut conn, user.id, &hash, false, None)?;
                    println!("Kata sandi {username} diganti; semua sesinya diakhiri.");
                    Ok(())
                }
            }
        }
    }
}

fn token_command(conn: &mut db::DbConnection, action: TokenCommand) -> anyhow::Result<()> {
    use auth::tokens;
    match action {
        TokenCommand::Create {
            username,
            label,
            expires,
        } => {
            let username = username.trim().to_lowercase();
            let user = user_queries::find_by_username(conn, &username)?
                .with_context(|| format!("pengguna {username} tidak ada"))?;
            let token = tokens::create_for_days(conn, user.id, &label, expires)?;
            println!("{token}");
            eprintln!(
                "Simpan token ini sekarang; pesiar hanya menyimpan hash-nya. Berlaku {expires} hari. Pakai: Authorization: Bearer <token>"
            );
            Ok(())
        }
        TokenCommand::List { username } => {
            let username = username.map(|u| u.trim().to_lowercase());
            let rows = tokens::list(conn, username.as_deref())?;
            let time = |t: Option<chrono::NaiveDateTime>| {
                t.map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
            };
            println!("id\tpengguna\tlabel\tdibuat\tkedaluwarsa\tterakhir dipakai\tstatus");
            for t in &rows {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.username,
                    t.label,
                    time(Some(t.created_at)),
                    time(Some(t.expires_at)),
                    time(t.last_used_at),
                    t.state()
                );
            }
            eprintln!("{} token.", rows.len());
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            if tokens::revoke(conn, id, None)? {
                println!("Token {id} dicabut.");
                Ok(())
            } else {
                bail!("token {id} tidak ada atau sudah dicabut")
            }
        }
    }
}

fn import_figures(database: &DatabaseUrl, file: &Path, check_only: bool) -> anyhow::Result<()> {
    use crate::figures::{parse, store};
    let report = |errors: &[crate::figures::RowError]| {
        for e in errors.iter().take(200) {
            match e.line {
                0 => eprintln!("{}", e.message),
                line => eprintln!("baris {line}, kolom {}: {}", e.column, e.message),
            }
        }
        if errors.len() > 200 {
            eprintln!("… dan {} kesalahan lain", errors.len() - 200);
        }
    };
    let table = crate::tabular::Table::open(file, crate::tabular::Limits::FIGURES)
        .map_err(|e| anyhow::anyhow!(e))?;
    let decimal_comma = table.decimal_comma();
    let parsed = match parse::parse_rows(table, decimal_comma, crate::web::today()).into_result() {
        Ok(parsed) => parsed,
        Err(errors) => {
            report(&errors);
            bail!("{} kesalahan; tidak ada yang diimpor", errors.len());
        }
    };
    let mut conn = db::establish(database)?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut parsed = parsed;
    parsed
        .warnings
        .extend(store::change_warnings(&mut conn, &parsed.rows)?);
    if check_only {
        let errors = store::region_errors(&mut conn, &parsed.rows, None)?;
        if !errors.is_empty() {
            report(&errors);
            bail!("{} kesalahan; berkas ini tidak akan diimpor", errors.len());
        }
        let replaced = store::units_on_file(&mut conn, &parsed.rows)?;
        let dates: std::collections::BTreeSet<_> = parsed.rows.iter().map(|r| r.date).collect();
        println!(
            "Berkas dapat diimpor: {} baris untuk {} tanggal; {} wilayah-tanggal baru, {} \
             menggantikan angka yang sudah ada.{}",
            parsed.rows.len(),
            dates.len(),
            parsed.rows.len() - replaced,
            replaced,
            parsed.notes()
        );
        println!("Tidak ada yang diubah (--periksa).");
        return Ok(());
    }
    match store::import(&mut conn, &parsed.rows, None, &name) {
        Ok(summary) => {
            println!(
                "{} baris diimpor untuk {} tanggal ({} baris lama diganti).{}",
                summary.rows,
                summary.dates.len(),
                summary.replaced,
                parsed.notes()
            );
            Ok(())
        }
        Err(store::ImportError::Rows(errors)) => {
            report(&errors);
            bail!("{} kesalahan; tidak ada yang diimpor", errors.len())
        }
        Err(store::ImportError::App(e)) => Err(e.into()),
    }
}

/// Imports a roster extract with a progress bar (rows/s, ETA), then prints a summary.
fn import_roster(
    database: &DatabaseUrl,
    file: &Path,
    date: chrono::NaiveDate,
    errors_to: Option<&Path>,
    as_user: Option<&str>,
) -> anyhow::Result<()> {
    use crate::roster::{import, report};
    use indicatif::{ProgressBar, ProgressStyle};
    // A connection of the server's kind: SQLite's WAL checkpoints then run on a thread of their
    // own, beside the import, instead of inside every 16,000th page's commit.
    let db = db::Db::connect(database)?;
    let mut conn = db.get()?;
    let conn = &mut *conn;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // `--as`: the user as a signed-in request would see them (role and areas).
    let user = match as_user {
        None => None,
        Some(username) => {
            let username = username.trim().to_lowercase();
            let active =
                user_queries::find_by_username(conn, &username)?.is_some_and(|u| !u.disabled);
            let user = auth::CurrentUser::load(conn, &username)?
                .filter(|_| active)
                .with_context(|| format!("pengguna {username} tidak ada atau nonaktif"))?;
            if !crate::web::policy::IMPORT_FILES.admits(user.role) {
                bail!("pengguna {username} bukan supervisor atau admin");
            }
            Some(user)
        }
    };
    let import_id = import::begin(conn, date, &name, user.as_ref().map(|u| u.id))?;
    let bar = ProgressBar::new(1000).with_style(
        ProgressStyle::with_template("{bar:40} {percent:>3}%  {msg}  sisa {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let result = import::run(
        conn,
        import_id,
        file,
        date,
        &import::Importer {
            user: user.as_ref(),
        },
        &mut |p| {
            bar.set_position(p.permille as u64);
            let rate = f64::from(p.rows_read) / started.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!("{} baris, {rate:.0} baris/dtk", p.rows_read));
        },
    );
    bar.finish_and_clear();
    let p = result.map_err(|e| anyhow::anyhow!(e))?;
    println!(
        "Impor #{import_id} selesai dalam {:.1} dtk: {} baris dibaca, {} tidak valid; \
         {} peserta baru, {} berubah status/segmen, {} rumah tangga baru; \
         {} klaim dikonfirmasi data BPJS, {} klaim ditandai.",
        started.elapsed().as_secs_f64(),
        p.rows_read,
        p.rows_invalid,
        p.members_created,
        p.members_changed,
        p.households_created,
        p.claims_confirmed,
        p.claims_flagged
    );
    if p.rows_held > 0 {
        println!(
            "{} baris ditahan: peserta terdaftar di wilayah lain (kemungkinan pindah wilayah).",
            p.rows_held
        );
    }
    if p.rows_warned > 0 {
        println!(
            "{} baris diimpor dengan peringatan ({}): nomor yang rusak oleh lembar kerja tidak \
             dipakai.",
            p.rows_warned,
            crate::roster::read::DAMAGED
        );
    }
    let ignored: String = {
        use crate::db::schema::roster_imports;
        use diesel::prelude::*;
        roster_imports::table
            .find(import_id)
            .select(roster_imports::ignored_columns)
            .first(conn)?
    };
    if !ignored.is_empty() {
        println!("Kolom tidak dikenali, tidak diimpor: {ignored}.");
    }
    let unknown = report::unknown_values(conn, import_id, 20)?;
    if !unknown.is_empty() {
        println!("Nilai yang tidak dikenali:");
        for (column, value, count) in unknown {
            println!("  {column}: \"{value}\" ({count}×)");
        }
    }
    if p.rows_invalid > 0 || p.rows_warned > 0 {
        match errors_to {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("membuat {}", path.display()))?;
                report::write_error_report(conn, import_id, file)?;
                println!("Daftar baris tidak valid: {}", path.display());
            }
            None => println!(
                "Tambahkan --galat BERKAS.csv untuk menyimpan daftar baris yang tidak valid."
            ),
        }
    }
    Ok(())
}

/// Reads a password: prompted twice on a terminal, otherwise one line from standard input.
fn read_password(username: &str) -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Kata sandi: ")?;
        let second = rpassword::prompt_password("Ulangi kata sandi: ")?;
        if first != second {
            bail!("kedua kata sandi tidak sama");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    check_password(username, &password).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(password)
}

/// A new SQLite file may be created, but only in a directory that exists.
fn ensure_creatable(database: &DatabaseUrl) -> anyhow::Result<()> {
    let DatabaseUrl::Sqlite(path) = database else {
        return Ok(());
    };
    if path.exists() {
        return Ok(());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        bail!("folder {} tidak ada", parent.display());
    }
    tracing::info!(path = %path.display(), "creating a new SQLite database");
    Ok(())
}

/// Commands that work on existing data refuse a SQLite path that does not exist, so a typo
/// never silently creates an empty database.
fn ensure_exists(database: &DatabaseUrl) -> anyhow::Result<()> {
    if let DatabaseUrl::Sqlite(path) = database
        && !Path::new(path).exists()
    {
        bail!(
            "basis data {} tidak ada; jalankan `pesiar migrate` (atau `pesiar serve`) dulu",
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("pesiar").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn serve_is_the_default_and_demo_turns_secure_cookies_off() {
        let cli = parse(&["--database-url", "x.db"]);
        assert!(cli.command.is_none());
        let config = cli.options.config("pesiar.db", true).unwrap();
        assert!(config.secure_cookies);
        assert_eq!(config.trusted_proxies, 0);
        let demo = parse(&["demo"]).options.config("demo.db", false).unwrap();
        assert!(!demo.secure_cookies);
    }

    #[test]
    fn boolean_settings_accept_the_usual_spellings() {
        for (text, value) in [
            ("false", false),
            ("0", false),
            ("off", false),
            ("yes", true),
        ] {
            let cli = parse(&["serve", "--secure-cookies", text, "--behind-proxy", text]);
            let config = cli.options.config("pesiar.db", true).unwrap();
            assert_eq!(config.secure_cookies, value, "{text}");
            assert_eq!(config.trusted_proxies, usize::from(value), "{text}");
        }
    }

    #[test]
    fn trusted_proxies_counts_hops_and_wins_over_behind_proxy() {
        let config = parse(&["--trusted-proxies", "2"])
            .options
            .config("pesiar.db", true)
            .unwrap();
        assert_eq!(config.trusted_proxies, 2);
        let config = parse(&["--behind-proxy", "true", "--trusted-proxies", "0"])
            .options
            .config("pesiar.db", true)
            .unwrap();
        assert_eq!(config.trusted_proxies, 0);
        assert!(Cli::try_parse_from(["pesiar", "--trusted-proxies", "-1"]).is_err());
    }

    #[test]
    fn user_add_takes_repeated_areas_and_no_password_argument() {
        let cli = parse(&[
            "user",
            "add",
            "--username",
            "a",
            "--role",
            "agent",
            "--area",
            "32.73.02.1004",
            "--area",
            "32.73.02.1005",
        ]);
        match cli.command {
            Some(Command::User {
                action: UserCommand::Add { areas, role, .. },
            }) => {
                assert_eq!(areas.len(), 2);
                assert_eq!(role, Role::Agent);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            Cli::try_parse_from([
                "pesiar",
                "user",
                "add",
                "--username",
                "a",
                "--role",
                "admin",
                "--password",
                "x"
            ])
            .is_err()
        );
    }
}
