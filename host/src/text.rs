//! Text from outside the host (drivers, exchanges) on its way to a
//! terminal, a log line or an error message: cut to size before it is
//! formatted, and control characters escaped so it cannot forge output.

/// At most `max` bytes of `text` (on a character boundary), with "…" when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &text[..cut])
}

/// `text` with every control character (escape sequences, carriage
/// returns, newlines, bidi overrides) shown as an escape, so it prints as
/// one inert line.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_bidi_control(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Both at once: for untrusted text shown to a person.
pub fn untrusted(text: &str, max: usize) -> String {
    printable(&clip(text, max))
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_on_a_character_boundary() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("abcdef", 3), "abc…");
        assert_eq!(clip("ééé", 3), "é…");
    }

    #[test]
    fn escapes_what_could_forge_output() {
        assert_eq!(printable("ok\x1b[2K\rFAIL\n"), "ok\\u{1b}[2K\\rFAIL\\n");
        assert_eq!(printable("a\u{202E}b"), "a\\u{202e}b");
        assert_eq!(printable("plain text: 1.5 BTC"), "plain text: 1.5 BTC");
    }
}
