//! Web pages for roster imports.
