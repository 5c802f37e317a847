//! Text encodings as offices save CSV files: UTF-8 (with or without BOM), UTF-16 (Excel's
//! "Unicode Text", always with a BOM) and Windows-1252 (Excel's plain "CSV" on Windows). The
//! rule, stated: a BOM names the encoding; without one, a file whose first 64 KB are valid
//! UTF-8 is UTF-8 (an invalid byte later is an error), and any other file is Windows-1252.

use std::io::Read;

use encoding_rs::{Decoder, Encoding, UTF_8, WINDOWS_1252};

/// The encoding of a file from its first bytes, and how many BOM bytes to skip.
pub(super) fn sniff(head: &[u8]) -> (&'static Encoding, usize) {
    if let Some((encoding, bom)) = Encoding::for_bom(head) {
        return (encoding, bom);
    }
    // A multi-byte character cut off at the end of the sample is still UTF-8.
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    };
    (if valid { UTF_8 } else { WINDOWS_1252 }, 0)
}

/// Turns `input` in `encoding` into UTF-8 as it is read.
pub(super) struct DecodingReader<R> {
    input: R,
    decoder: Decoder,
    raw: Box<[u8]>,
    raw_start: usize,
    raw_end: usize,
    eof: bool,
    done: bool,
}

impl<R: Read> DecodingReader<R> {
    pub(super) fn new(input: R, encoding: &'static Encoding) -> Self {
        Self {
            input,
            decoder: encoding.new_decoder_without_bom_handling(),
            raw: vec![0; 32 * 1024].into_boxed_slice(),
            raw_start: 0,
            raw_end: 0,
            eof: false,
            done: false,
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        // encoding_rs needs room for a few bytes of output at least.
        if out.len() < 16 {
            let mut buf = [0u8; 16];
            let n = self.read(&mut buf)?;
            let n = n.min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            return Ok(n);
        }
        loop {
            if self.done {
                return Ok(0);
            }
            if self.raw_start == self.raw_end && !self.eof {
                let n = self.input.read(&mut self.raw)?;
                self.raw_start = 0;
                self.raw_end = n;
                self.eof = n == 0;
            }
            let input = &self.raw[self.raw_start..self.raw_end];
            let (_, read, written, _) = self.decoder.decode_to_utf8(input, out, self.eof);
            self.raw_start += read;
            if self.eof && self.raw_start == self.raw_end && written == 0 {
                self.done = true;
            }
            if written > 0 {
                return Ok(written);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> String {
        let (encoding, bom) = sniff(bytes);
        let mut out = String::new();
        DecodingReader::new(&bytes[bom..], encoding)
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn windows_1252_utf16_and_utf8_all_come_out_as_utf8() {
        assert_eq!(
            decode(b"Caf\xe9;Jalan \x93Mawar\x94\r\n"),
            "Café;Jalan “Mawar”\r\n"
        );
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("kode\tnama\r\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16), "kode\tnama\r\n");
        assert_eq!(decode("\u{feff}Café".as_bytes()), "Café");
        assert_eq!(decode("Café".as_bytes()), "Café");
        // A UTF-8 character cut at the end of the sample does not make it Windows-1252.
        assert_eq!(sniff(&"aé".as_bytes()[..2]).0, UTF_8);
    }
}
