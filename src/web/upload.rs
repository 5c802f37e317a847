//! Uploaded files: streamed to a private temporary file within a size limit, never held in
//! memory, and removed when the upload is dropped.

use std::io::Write;
use std::path::{Path, PathBuf};

use actix_multipart::Field;
use futures_util::TryStreamExt;

/// A temporary file that is removed when dropped (after the import, or on a failed upload).
pub struct TempUpload {
    path: PathBuf,
}

impl TempUpload {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn new_upload(kind: &str) -> std::io::Result<(TempUpload, std::fs::File)> {
    let dir = std::env::temp_dir().join("pesiar-uploads");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{kind}-{}.upload", crate::random::random_hex(12)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path)?;
    Ok((TempUpload { path }, file))
}

/// The file name a browser sent, without control characters and at most 100 characters.
pub fn file_name(field: &Field) -> String {
    field
        .content_disposition()
        .and_then(|cd| cd.get_filename())
        .unwrap_or("berkas")
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect()
}

/// Streams one multipart field to a temporary file. `None` for an empty field; an error in
/// Indonesian when the file is larger than `max_bytes` or cannot be stored.
pub async fn save_field(
    field: &mut Field,
    kind: &str,
    max_bytes: u64,
) -> Result<Option<TempUpload>, String> {
    let (upload, mut file) = new_upload(kind).map_err(|e| {
        tracing::error!(error = %e, "cannot create upload file");
        "Berkas tidak dapat disimpan sementara di server.".to_string()
    })?;
    let mut written: u64 = 0;
    while let Some(chunk) = field.try_next().await.map_err(|e| e.to_string())? {
        written += chunk.len() as u64;
        if written > max_bytes {
            return Err(format!("Berkas lebih dari {} MB.", max_bytes / 1024 / 1024));
        }
        file.write_all(&chunk)
            .map_err(|_| "Berkas tidak dapat disimpan (disk penuh?).".to_string())?;
    }
    Ok((written > 0).then_some(upload))
}
