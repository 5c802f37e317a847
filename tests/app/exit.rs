//! A process that exits while pool threads are inside libpq must not crash.
//!
//! This crashed a CI run (SIGSEGV after every test had passed): the exit handlers of OpenSSL
//! and of the Kerberos library behind libpq freed state that a connecting thread still used.
//! The test re-runs its own binary as a child that connects from four threads and exits
//! mid-connect, many times; without `db::connect_postgres`'s precautions about one exit in
//! seven crashed on this machine.

use std::process::Command;
use std::time::Duration;

use crate::helpers::postgres_admin_url;

const CHILD_ENV: &str = "PESIAR_EXIT_RACE_CHILD";
const RUNS: usize = 60;

#[test]
fn exiting_while_threads_connect_to_postgres_does_not_crash() {
    let Some(url) = postgres_admin_url() else {
        return; // SQLite runs have no libpq connections.
    };
    let exe = std::env::current_exe().expect("test binary");
    let mut crashed = Vec::new();
    for run in 0..RUNS {
        let status = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "exit::child_exits_while_connecting",
                "--quiet",
            ])
            .env(CHILD_ENV, &url)
            .env("RUST_TEST_THREADS", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run child");
        if !status.success() {
            crashed.push((run, status));
        }
    }
    assert!(crashed.is_empty(), "children crashed: {crashed:?}");
}

/// The child: only does anything when started by the test above.
#[test]
#[ignore = "run as a child process by exiting_while_threads_connect_to_postgres_does_not_crash"]
fn child_exits_while_connecting() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    for _ in 0..4 {
        let url = url.clone();
        std::thread::spawn(move || {
            loop {
                drop(pesiar::db::connect_postgres(&url));
            }
        });
    }
    std::thread::sleep(Duration::from_millis(40));
    std::process::exit(0);
}
