//! Conversions between byte offsets in a text and (line, column) positions.
//!
//! LSP positions count columns in UTF-16 code units by default, or in UTF-8 bytes when the
//! client and server agree on it. Lines end at `\n`, `\r\n` or a lone `\r`, as the LSP
//! specification says. Positions out of range are clamped, never rejected: a column past the
//! end of its line means the end of the line, a line past the end means the end of the text.

use rowan::{TextRange, TextSize};

/// How columns are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PositionEncoding {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units, the LSP default.
    #[default]
    Utf16,
}

/// A zero-based line and column, the column counted in the chosen encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset where each line starts; the first entry is 0.
    line_starts: Vec<u32>,
    /// Lines that contain a character outside ASCII: only those need a scan to convert.
    non_ascii_lines: Vec<bool>,
    len: u32,
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Whether one of the eight bytes of `word` is `byte`.
fn has_byte(word: u64, byte: u8) -> bool {
    let x = word ^ (LOW_BITS * u64::from(byte));
    x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS != 0
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0u32];
        let mut non_ascii_lines = Vec::new();
        let mut non_ascii = false;
        let mut i = 0;
        while i < bytes.len() {
            // Eight bytes at a time past plain ASCII text (no newline, no CR): most of a file.
            while let Some(word) = bytes.get(i..i + 8) {
                let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
                if has_byte(word, b'\n') || has_byte(word, b'\r') || word & HIGH_BITS != 0 {
                    break;
                }
                i += 8;
            }
            let Some(&b) = bytes.get(i) else { break };
            if b == b'\n' || b == b'\r' {
                if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                line_starts.push((i + 1) as u32);
                non_ascii_lines.push(non_ascii);
                non_ascii = false;
            } else if b >= 0x80 {
                non_ascii = true;
            }
            i += 1;
        }
        non_ascii_lines.push(non_ascii);
        LineIndex { line_starts, non_ascii_lines, len: bytes.len() as u32 }
    }

    pub fn len(&self) -> TextSize {
        TextSize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The byte range of a line's content, without its terminator.
    fn line_content(&self, text: &str, line: usize) -> (u32, u32) {
        let start = self.line_starts[line];
        let mut end = self.line_starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes[end as usize - 1], b'\n' | b'\r') {
            end -= 1;
        }
        (start, end)
    }

    /// The position of a byte offset. An offset inside a character counts as that
    /// character's start; an offset past the end is the end.
    pub fn line_col(&self, text: &str, offset: TextSize, enc: PositionEncoding) -> LineCol {
        let offset = u32::from(offset).min(self.len);
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let (start, end) = self.line_content(text, line);
        let offset = offset.min(end);
        let col = if !self.non_ascii_lines[line] || enc == PositionEncoding::Utf8 {
            offset - start
        } else {
            let mut units = 0u32;
            for (i, ch) in text[start as usize..end as usize].char_indices() {
                if start + i as u32 >= offset {
                    break;
                }
                units += ch.len_utf16() as u32;
            }
            units
        };
        LineCol { line: line as u32, col }
    }

    /// The byte offset of a position, clamped into the text and onto a character boundary.
    pub fn offset(&self, text: &str, pos: LineCol, enc: PositionEncoding) -> TextSize {
        let line = pos.line as usize;
        if line >= self.line_starts.len() {
            return TextSize::from(self.len);
        }
        let (start, end) = self.line_content(text, line);
        let content = &text[start as usize..end as usize];
        let col = pos.col as usize;
        let within = if !self.non_ascii_lines[line] {
            col.min(content.len())
        } else {
            match enc {
                PositionEncoding::Utf8 => {
                    let mut c = col.min(content.len());
                    while !content.is_char_boundary(c) {
                        c -= 1;
                    }
                    c
                }
                PositionEncoding::Utf16 => {
                    let mut units = 0usize;
                    let mut found = content.len();
                    for (i, ch) in content.char_indices() {
                        if units >= col {
                            found = i;
                            break;
                        }
                        units += ch.len_utf16();
                        if units > col {
                            // The column points inside a surrogate pair: take the character.
                            found = i;
                            break;
                        }
                    }
                    found
                }
            }
        };
        TextSize::from(start + within as u32)
    }

    pub fn range(&self, text: &str, range: TextRange, enc: PositionEncoding) -> (LineCol, LineCol) {
        (self.line_col(text, range.start(), enc), self.line_col(text, range.end(), enc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str, enc: PositionEncoding) {
        let index = LineIndex::new(text);
        for (offset, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
            let offset = TextSize::from(offset as u32);
            let pos = index.line_col(text, offset, enc);
            let back = index.offset(text, pos, enc);
            // Offsets of a line terminator's second byte map to the line's end.
            if text.as_bytes().get(usize::from(offset)) == Some(&b'\n')
                && usize::from(offset) > 0
                && text.as_bytes()[usize::from(offset) - 1] == b'\r'
            {
                continue;
            }
            assert_eq!(back, offset, "{text:?} at {offset:?} -> {pos:?}");
        }
    }

    /// The index read eight bytes at a time is the one read byte by byte: over texts with
    /// every kind of line end and non-ASCII text at every place in a word.
    #[test]
    fn word_at_a_time_agrees_with_byte_at_a_time() {
        fn by_bytes(text: &str) -> LineIndex {
            let bytes = text.as_bytes();
            let (mut starts, mut non_ascii_lines, mut non_ascii) = (vec![0u32], Vec::new(), false);
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'\n' || bytes[i] == b'\r' {
                    if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    starts.push((i + 1) as u32);
                    non_ascii_lines.push(non_ascii);
                    non_ascii = false;
                } else if bytes[i] >= 0x80 {
                    non_ascii = true;
                }
                i += 1;
            }
            non_ascii_lines.push(non_ascii);
            LineIndex { line_starts: starts, non_ascii_lines, len: bytes.len() as u32 }
        }
        let pieces = ["a", "bcdefgh", "\n", "\r", "\r\n", "é", "😀", "        ", "x = 1;"];
        let mut seed: u64 = 7;
        for _ in 0..2000 {
            let mut text = String::new();
            for _ in 0..(seed % 40) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                text.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            assert_eq!(LineIndex::new(&text), by_bytes(&text), "{text:?}");
        }
    }

    #[test]
    fn ascii_lines() {
        let text = "ab\ncd\r\nef\rgh";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        let enc = PositionEncoding::Utf16;
        assert_eq!(index.line_col(text, 4.into(), enc), LineCol { line: 1, col: 1 });
        assert_eq!(index.line_col(text, 7.into(), enc), LineCol { line: 2, col: 0 });
        assert_eq!(index.line_col(text, 10.into(), enc), LineCol { line: 3, col: 0 });
        round_trip(text, enc);
    }

    #[test]
    fn multi_byte_utf16_and_utf8() {
        // é is 2 bytes and 1 UTF-16 unit; 😀 is 4 bytes and 2 units; 中 is 3 bytes and 1 unit.
        let text = "a é 😀 中 z\nx";
        let index = LineIndex::new(text);
        let z = text.find('z').unwrap() as u32;
        assert_eq!(index.line_col(text, z.into(), PositionEncoding::Utf16), LineCol { line: 0, col: 9 });
        assert_eq!(index.line_col(text, z.into(), PositionEncoding::Utf8), LineCol { line: 0, col: z });
        round_trip(text, PositionEncoding::Utf16);
        round_trip(text, PositionEncoding::Utf8);
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "abc\nd😀";
        let index = LineIndex::new(text);
        let enc = PositionEncoding::Utf16;
        assert_eq!(index.offset(text, LineCol { line: 0, col: 99 }, enc), TextSize::from(3));
        assert_eq!(index.offset(text, LineCol { line: 7, col: 0 }, enc), TextSize::from(9));
        // Inside the surrogate pair: the emoji's start.
        assert_eq!(index.offset(text, LineCol { line: 1, col: 2 }, enc), TextSize::from(5));
        // Inside a UTF-8 sequence: the character's start.
        assert_eq!(
            index.offset(text, LineCol { line: 1, col: 3 }, PositionEncoding::Utf8),
            TextSize::from(5)
        );
        assert_eq!(index.line_col(text, 100.into(), enc), LineCol { line: 1, col: 3 });
    }

    #[test]
    fn empty_text() {
        let index = LineIndex::new("");
        assert_eq!(index.line_count(), 1);
        assert_eq!(index.offset("", LineCol { line: 3, col: 3 }, PositionEncoding::Utf16), 0.into());
        assert_eq!(index.line_col("", 0.into(), PositionEncoding::Utf16), LineCol { line: 0, col: 0 });
    }
}
