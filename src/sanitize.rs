//! Untrusted text (memories, transcripts, model output) → terminal-safe text. C0/C1 controls
//! and ESC become visible Control Pictures, and invisible formatting characters (bidi controls,
//! zero-width and tag characters) become visible `⟨U+XXXX⟩` markers, so nothing read from a
//! session can move the cursor, recolour the terminal or hide text from a reviewer.

/// Characters that change how text is displayed without being visible themselves.
pub(crate) fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{206A}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{180E}' | '\u{00AD}' | '\u{034F}' | '\u{E0000}'..='\u{E007F}')
}

/// The visible stand-in for a control character: U+2400 + code for C0, ␡ for DEL, and a
/// `⟨U+0085⟩` marker for C1.
pub(crate) fn control_picture(c: char, out: &mut String) {
    match c as u32 {
        n @ 0..=0x1F => out.push(char::from_u32(0x2400 + n).unwrap_or('\u{FFFD}')),
        0x7F => out.push('\u{2421}'),
        n => marker(n, out),
    }
}

/// `⟨U+XXXX⟩`: a visible name for an invisible character.
fn marker(code: u32, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(out, "\u{27E8}U+{code:04X}\u{27E9}");
}

/// One line of untrusted text for display: every control (newlines and tabs included) and
/// invisible formatting character is made visible.
pub fn line(s: &str) -> String {
    clean_line(s).into_owned()
}

/// As [`line()`], borrowing when nothing needs to change (the common case).
pub fn clean_line(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_invisible_format(c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            control_picture(c, &mut out);
        } else if is_invisible_format(c) {
            marker(c as u32, &mut out);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Multi-line untrusted text: as [`line()`] but keeps `\n` and expands tabs to `tab_width`.
pub fn text(s: &str, tab_width: usize) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, l) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let l = l.strip_suffix('\r').unwrap_or(l);
        let mut col = 0;
        for part in l.split('\t').enumerate() {
            if part.0 > 0 {
                let pad = tab_width - col % tab_width.max(1);
                out.push_str(&" ".repeat(pad));
                col += pad;
            }
            let clean = line(part.1);
            col += unicode_width::UnicodeWidthStr::width(clean.as_str());
            out.push_str(&clean);
        }
    }
    out
}

/// True when `s` would be changed by [`line()`] (for flags such as "hidden characters").
pub fn has_hidden(s: &str) -> bool {
    s.chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_invisible_format(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_run() {
        let shown = line("red \x1b[31mtext\x1b[0m\x07");
        assert!(!shown.contains('\x1b'));
        assert!(shown.contains("\u{241B}[31m"));
        assert!(shown.ends_with('\u{2407}'));
    }

    #[test]
    fn c1_bidi_zero_width_and_tags_are_visible() {
        assert_eq!(line("a\u{9B}b"), "a\u{27E8}U+009B\u{27E9}b");
        assert_eq!(line("\u{202E}x"), "\u{27E8}U+202E\u{27E9}x");
        assert_eq!(line("a\u{200B}b"), "a\u{27E8}U+200B\u{27E9}b");
        assert_eq!(line("\u{E0041}"), "\u{27E8}U+E0041\u{27E9}");
        assert!(has_hidden("x\u{2066}y"));
        assert!(!has_hidden("plain\ttext\n"));
    }

    #[test]
    fn text_keeps_lines_and_expands_tabs() {
        assert_eq!(text("a\tb\r\nc", 4), "a   b\nc");
    }

    #[test]
    fn ordinary_unicode_passes_through() {
        assert_eq!(line("héllo 世界 🙂"), "héllo 世界 🙂");
    }
}
