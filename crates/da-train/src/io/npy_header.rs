//! The header of a NumPy `.npy` file: the Python dict literal
//! `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
//!
//! Only the literal forms NumPy writes are understood: strings, `True` / `False` / `None`,
//! non-negative integers (with Python 2's `L` suffix), tuples, lists and dicts.

use std::fmt;

/// The three entries of a `.npy` header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NpyHeader {
    /// The `descr` entry: a dtype string such as `'<f8'`, or a list for structured dtypes.
    pub descr: Literal,
    /// Whether the data is stored column-major.
    pub fortran_order: bool,
    /// The array's shape.
    pub shape: Vec<usize>,
}

/// A Python literal as found in a `.npy` header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    Bool(bool),
    None,
    Int(u64),
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

impl fmt::Display for Literal {
    /// Python's `repr` of the literal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn join(items: impl Iterator<Item = String>) -> String {
            items.collect::<Vec<_>>().join(", ")
        }
        match self {
            Literal::Str(s) => write!(f, "'{s}'"),
            Literal::Bool(true) => f.write_str("True"),
            Literal::Bool(false) => f.write_str("False"),
            Literal::None => f.write_str("None"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Tuple(items) if items.len() == 1 => write!(f, "({},)", items[0]),
            Literal::Tuple(items) => write!(f, "({})", join(items.iter().map(|i| i.to_string()))),
            Literal::List(items) => write!(f, "[{}]", join(items.iter().map(|i| i.to_string()))),
            Literal::Dict(entries) => write!(
                f,
                "{{{}}}",
                join(entries.iter().map(|(k, v)| format!("{k}: {v}")))
            ),
        }
    }
}

impl NpyHeader {
    /// Parses the header text (the bytes between the length field and the data).
    ///
    /// # Errors
    /// A sentence saying what is wrong, for [`super::ReadError::BadNpy`].
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut parser = Parser { text, pos: 0 };
        let value = parser.value()?;
        parser.skip_whitespace();
        if parser.pos != text.len() {
            return Err(format!(
                "unexpected text after the header dict at byte {}",
                parser.pos
            ));
        }
        let Literal::Dict(entries) = value else {
            return Err(format!("the header is not a dict: {value}"));
        };
        let entry = |key: &str| {
            entries
                .iter()
                .find(|(k, _)| matches!(k, Literal::Str(s) if s == key))
                .map(|(_, v)| v)
                .ok_or_else(|| format!("the header has no '{key}' entry"))
        };
        let descr = entry("descr")?.clone();
        let fortran_order = match entry("fortran_order")? {
            Literal::Bool(order) => *order,
            other => {
                return Err(format!(
                    "'fortran_order' is {other}, expected True or False"
                ));
            }
        };
        let shape = match entry("shape")? {
            Literal::Tuple(dims) => {
                dims.iter()
                    .map(|dim| match dim {
                        Literal::Int(n) => usize::try_from(*n)
                            .map_err(|_| format!("shape dimension {n} is too large")),
                        other => Err(format!("shape entry {other} is not an integer")),
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
            other => return Err(format!("'shape' is {other}, expected a tuple of integers")),
        };
        Ok(Self {
            descr,
            fortran_order,
            shape,
        })
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn error(&self, what: &str) -> String {
        match self.rest().chars().next() {
            Some(c) => format!("{what} at byte {} of the header, found {c:?}", self.pos),
            None => format!("{what} at the end of the header"),
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_whitespace();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Literal, String> {
        self.skip_whitespace();
        let Some(first) = self.rest().chars().next() else {
            return Err(self.error("expected a value"));
        };
        match first {
            '\'' | '"' => self.string(first),
            '(' => self.sequence(')').map(Literal::Tuple),
            '[' => self.sequence(']').map(Literal::List),
            '{' => self.dict(),
            '0'..='9' => self.int(),
            _ => {
                for (word, literal) in [
                    ("True", Literal::Bool(true)),
                    ("False", Literal::Bool(false)),
                    ("None", Literal::None),
                ] {
                    if self.eat(word) {
                        return Ok(literal);
                    }
                }
                Err(self.error("expected a value"))
            }
        }
    }

    fn string(&mut self, quote: char) -> Result<Literal, String> {
        let start = self.pos;
        self.pos += quote.len_utf8();
        let mut value = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((offset, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, escaped)) => value.push(escaped),
                    None => break,
                },
                c if c == quote => {
                    self.pos += offset + c.len_utf8();
                    return Ok(Literal::Str(value));
                }
                c => value.push(c),
            }
        }
        Err(format!(
            "unterminated string starting at byte {start} of the header"
        ))
    }

    fn int(&mut self) -> Result<Literal, String> {
        let digits = self.rest().len()
            - self
                .rest()
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        let text = &self.rest()[..digits];
        let value = text
            .parse::<u64>()
            .map_err(|_| format!("integer {text} in the header is too large"))?;
        self.pos += digits;
        if self.rest().starts_with('L') {
            self.pos += 1;
        }
        Ok(Literal::Int(value))
    }

    /// Items up to `close`, the opening bracket already current.
    fn sequence(&mut self, close: char) -> Result<Vec<Literal>, String> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            if self.eat(&close.to_string()) {
                return Ok(items);
            }
            items.push(self.value()?);
            if !self.eat(",") {
                if self.eat(&close.to_string()) {
                    return Ok(items);
                }
                return Err(self.error(&format!("expected ',' or '{close}'")));
            }
        }
    }

    fn dict(&mut self) -> Result<Literal, String> {
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            if self.eat("}") {
                return Ok(Literal::Dict(entries));
            }
            let key = self.value()?;
            if !self.eat(":") {
                return Err(self.error("expected ':' after a dict key"));
            }
            entries.push((key, self.value()?));
            if !self.eat(",") {
                if self.eat("}") {
                    return Ok(Literal::Dict(entries));
                }
                return Err(self.error("expected ',' or '}'"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_header_numpy_writes() {
        let header = NpyHeader::parse(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }          \n",
        )
        .unwrap();
        assert_eq!(
            header,
            NpyHeader {
                descr: Literal::Str("<f8".into()),
                fortran_order: false,
                shape: vec![3, 4],
            }
        );
    }

    #[test]
    fn parses_other_spellings() {
        let header =
            NpyHeader::parse("{\"shape\":(5L,),\"fortran_order\":True,\"descr\":\"<f4\"}").unwrap();
        assert_eq!(header.shape, vec![5]);
        assert!(header.fortran_order);
        let header =
            NpyHeader::parse("{'descr': '<f4', 'fortran_order': False, 'shape': ()}").unwrap();
        assert!(header.shape.is_empty());
    }

    #[test]
    fn structured_dtypes_print_as_python_does() {
        let header = NpyHeader::parse(
            "{'descr': [('x', '<f4'), ('y', '<i8', (2,))], 'fortran_order': False, 'shape': (3,)}",
        )
        .unwrap();
        assert_eq!(
            header.descr.to_string(),
            "[('x', '<f4'), ('y', '<i8', (2,))]"
        );
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        let cases = [
            (
                "{'descr': '<f8', 'shape': (3, 4)}",
                "no 'fortran_order' entry",
            ),
            (
                "{'descr': '<f8', 'fortran_order': 0, 'shape': (3,)}",
                "'fortran_order' is 0",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': [3]}",
                "'shape' is [3]",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 'a')}",
                "'a' is not an integer",
            ),
            ("{'descr': '<f8", "unterminated string"),
            ("{'descr' '<f8'}", "expected ':'"),
            ("('descr', '<f8')", "not a dict"),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)} x",
                "unexpected text",
            ),
            ("{'descr': <f8}", "expected a value at byte 10"),
            ("{'shape': (99999999999999999999999,)}", "too large"),
        ];
        for (text, expected) in cases {
            let err = NpyHeader::parse(text).unwrap_err();
            assert!(
                err.contains(expected),
                "{text}: {err:?} should contain {expected:?}"
            );
        }
    }
}
