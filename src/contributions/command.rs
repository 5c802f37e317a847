//! `pesiar config`: the dated rules from the command line, the same rows and audit as the
//! admin page.

use clap::Subcommand;

use super::routes::{RuleForm, check};
use super::{Rule, queries};
use crate::db::{DbConnection, write_transaction};

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Every rule with its value in force today, its date and legal basis, and future values.
    List,
    /// Add a value in force from a date (replacing one of the same rule and date). Rules:
    /// see `pesiar config list`.
    Set {
        rule: String,
        value: String,
        /// First day in force (YYYY-MM-DD).
        #[arg(long = "mulai")]
        from: String,
        /// Legal basis, e.g. "Perpres 59/2024".
        #[arg(long = "dasar")]
        basis: String,
    },
}

pub fn run(conn: &mut DbConnection, command: ConfigCommand) -> anyhow::Result<()> {
    match command {
        ConfigCommand::List => {
            let today = crate::web::today();
            let rows = queries::all_rows(conn)?;
            let rules = super::Rules::in_force(rows.clone(), today);
            for (rule, current) in rules.all() {
                match current {
                    Some(c) => println!(
                        "{}\t{}\tsejak {}\t{}",
                        rule.as_str(),
                        c.value,
                        c.valid_from,
                        c.basis
                    ),
                    None => println!("{}\t-\tbelum ada nilai yang berlaku", rule.as_str()),
                }
                for (_, later) in rows
                    .iter()
                    .filter(|(r, x)| *r == rule && x.valid_from > today)
                {
                    println!(
                        "{}\t{}\tmulai {}\t{}",
                        rule.as_str(),
                        later.value,
                        later.valid_from,
                        later.basis
                    );
                }
            }
            Ok(())
        }
        ConfigCommand::Set {
            rule,
            value,
            from,
            basis,
        } => {
            let form = RuleForm {
                aturan: rule,
                mulai: from,
                nilai: value,
                dasar: basis,
                submission_key: String::new(),
            };
            let (rule, from, value, basis) = check(&form).map_err(|errors| {
                let known: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
                let mut lines = Vec::new();
                for field in ["aturan", "mulai", "nilai", "dasar"] {
                    if let Some(e) = errors.get(field) {
                        lines.push(e.to_string());
                    }
                }
                if errors.has("aturan") {
                    lines.push(format!("Aturan yang dikenal: {}", known.join(", ")));
                }
                anyhow::anyhow!(lines.join("\n"))
            })?;
            write_transaction(conn, |conn| {
                queries::set(conn, rule, from, value, &basis, None)
            })?;
            println!(
                "{} = {value} berlaku mulai {from} ({basis}).",
                rule.as_str()
            );
            Ok(())
        }
    }
}
