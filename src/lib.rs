//! pesiar: recording and steering the field work that brings JKN members back to active status.
//!
//! Modules are cut by domain (`auth`, `users`, `regions`, `home`); each owns its routes, queries,
//! forms and templates. `db` and `web` are the thin shared core.

pub mod activity;
pub mod app;
pub mod assignments;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod contributions;
pub mod db;
pub mod demo;
pub mod demo_data;
pub mod error;
pub mod figures;
pub mod forum;
pub mod home;
pub mod households;
pub mod members;
pub mod pemda;
pub mod progress;
pub mod random;
pub mod reactivations;
pub mod recap;
pub mod regions;
pub mod roster;
pub mod submissions;
pub mod tabular;
pub mod text_enum;
pub mod users;
pub mod visits;
pub mod web;

pub use error::AppError;
