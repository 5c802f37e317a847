//! Integration tests: the real app over HTTP against a real database (SQLite by default,
//! PostgreSQL when `PESIAR_TEST_DATABASE_URL` is set). One binary, one module per area.

mod access;
mod attack;
mod auth;
mod auth_signin;
mod browser;
mod cli;
mod contrast;
mod contributions;
mod csrf;
mod desk;
mod door;
mod exit;
mod fieldwork;
mod figures_files;
mod figures_preview;
mod forms;
mod headers;
mod headlines;
mod health;
mod helpers;
mod hostile;
mod journeys;
mod ops;
mod privacy;
mod progress;
mod regions;
mod roster;
mod roster_moves;
mod roster_real;
mod storage;
mod stored_text;
mod tokens;
mod users_admin;
mod visits;
mod weight;
