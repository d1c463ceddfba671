//! Escaping of text for XML content and attribute values.

/// Returns `text` with the five XML special characters replaced by entities and the characters
/// that XML 1.0 forbids (control characters other than tab, newline and carriage return)
/// dropped, so that any string can be placed in SVG text or in a quoted attribute.
pub(crate) fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_special_characters() {
        assert_eq!(
            escape_xml(r#"a < b & "c" 'd' > e"#),
            "a &lt; b &amp; &quot;c&quot; &apos;d&apos; &gt; e"
        );
    }

    #[test]
    fn drops_forbidden_control_characters_and_keeps_unicode() {
        assert_eq!(escape_xml("x\u{0}y\u{1b}z\tµ→"), "xyz\tµ→");
    }
}
