//! A small, strict JSON reader for the two bodies the client must understand itself: the
//! login answer and error answers. It is bounded in depth, rejects duplicate keys and costs a
//! fraction of a general JSON crate's bytes. API bodies handed to callers are parsed by the
//! platform's `JSON.parse`, never here.

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, read as `f64`.
    Number(f64),
    /// A string, escapes decoded.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, in the order written. Duplicate keys are rejected while parsing.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Writes `s` as a JSON string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How deeply arrays and objects may nest.
const MAX_DEPTH: usize = 32;

/// Parses `text` as one JSON value with nothing but white space around it.
pub fn parse(text: &str) -> Option<Json> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let value = reader.value(0)?;
    reader.skip_ws();
    (reader.pos == reader.bytes.len()).then_some(value)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, literal: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(literal.len())?;
        (self.bytes.get(self.pos..end)? == literal).then(|| self.pos = end)
    }

    /// A value inside `depth` arrays and objects.
    fn value(&mut self, depth: usize) -> Option<Json> {
        self.skip_ws();
        match self.peek()? {
            b'n' => self.eat(b"null").map(|_| Json::Null),
            b't' => self.eat(b"true").map(|_| Json::Bool(true)),
            b'f' => self.eat(b"false").map(|_| Json::Bool(false)),
            b'"' => self.string().map(Json::String),
            b'[' => self.array(depth),
            b'{' => self.object(depth),
            b'-' | b'0'..=b'9' => self.number().map(Json::Number),
            _ => None,
        }
    }

    fn array(&mut self, depth: usize) -> Option<Json> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.next()? {
                b',' => continue,
                b']' => return Some(Json::Array(items)),
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Json> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        let mut members: Vec<(String, Json)> = Vec::new();
        self.skip_ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            if members.iter().any(|(k, _)| *k == key) {
                return None;
            }
            self.skip_ws();
            if self.next()? != b':' {
                return None;
            }
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.skip_ws();
            match self.next()? {
                b',' => continue,
                b'}' => return Some(Json::Object(members)),
                _ => return None,
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let digit = (self.next()? as char).to_digit(16)?;
            n = n * 16 + digit;
        }
        Some(n)
    }

    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control byte in one go.
            let start = self.pos;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.pos += 1;
            }
            // The input is a `str` and the run stops at ASCII bytes, so it is valid UTF-8.
            out.push_str(std::str::from_utf8(self.bytes.get(start..self.pos)?).ok()?);
            match self.next()? {
                b'"' => return Some(out),
                b'\\' => {
                    let c = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let high = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&high) {
                                self.eat(b"\\u")?;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return None;
                                }
                                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                high
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    out.push(c);
                }
                _ => return None, // a raw control character
            }
        }
    }

    /// Reads a number by the JSON grammar. Integers up to 2^53 with up to 22 decimal places
    /// or powers of ten are exact; the rest is within a few units in the last place. (Rust's
    /// correctly rounded float parsing costs kilobytes of wasm; `expires_in` needs none of it.)
    fn number(&mut self) -> Option<f64> {
        let negative = self.eat(b"-").is_some();
        let mut mantissa: u64 = 0;
        let mut exponent: i64 = 0;
        // A digit of the integer part (`fraction` false) or of the fraction.
        let mut digit = |d: u8, fraction: bool| {
            if mantissa < 1_000_000_000_000_000_000 {
                mantissa = mantissa * 10 + u64::from(d - b'0');
                exponent -= i64::from(fraction);
            } else if !fraction {
                // Past 19 significant digits only the magnitude counts.
                exponent += 1;
            }
        };
        match self.next()? {
            b'0' => {}
            d @ b'1'..=b'9' => {
                digit(d, false);
                while let Some(d @ b'0'..=b'9') = self.peek() {
                    self.pos += 1;
                    digit(d, false);
                }
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let start = self.pos;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                self.pos += 1;
                digit(d, true);
            }
            if self.pos == start {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            let negative_exponent = match self.peek() {
                Some(b'-') => {
                    self.pos += 1;
                    true
                }
                Some(b'+') => {
                    self.pos += 1;
                    false
                }
                _ => false,
            };
            let start = self.pos;
            let mut e: i64 = 0;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                self.pos += 1;
                e = (e * 10 + i64::from(d - b'0')).min(100_000);
            }
            if self.pos == start {
                return None;
            }
            exponent += if negative_exponent { -e } else { e };
        }
        let magnitude = scale(mantissa as f64, exponent);
        Some(if negative { -magnitude } else { magnitude })
    }
}

/// `m × 10^e`, exact when both `m` and `10^|e|` are exact in an f64 (the common case).
fn scale(m: f64, e: i64) -> f64 {
    if m == 0.0 {
        return 0.0;
    }
    match e {
        0..=22 => m * 10f64.powi(e as i32),
        -22..=-1 => m / 10f64.powi(-e as i32),
        23.. => m * 10f64.powi(e.min(400) as i32),
        // Two steps, so that 10^e itself does not underflow before m is applied.
        _ => m / 1e200 / 10f64.powi((-e - 200).min(400) as i32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_login_answer() {
        let v = parse(r#" {"access_token":"a\"b\u00e9\ud83d\ude00","expires_in":3600,"token_type":"bearer","scope":null} "#)
            .unwrap();
        assert_eq!(v.get("access_token"), Some(&Json::String("a\"bé😀".into())));
        assert_eq!(v.get("expires_in"), Some(&Json::Number(3600.0)));
        assert_eq!(v.get("scope"), Some(&Json::Null));
        assert_eq!(v.get("missing"), None);
    }

    #[test]
    fn numbers() {
        let n = |s: &str| match parse(s) {
            Some(Json::Number(n)) => n,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(n("0"), 0.0);
        assert_eq!(n("-12"), -12.0);
        assert_eq!(n("1.5"), 1.5);
        assert_eq!(n("36e2"), 3600.0);
        assert_eq!(n("3.6E+3"), 3600.0);
        assert!((n("1e-3") - 0.001).abs() < 1e-15);
        assert!(n("1e999").is_infinite());
        assert_eq!(n("0e311"), 0.0);
        assert_eq!(n("3600.000"), 3600.0);
        assert_eq!(n("0.1"), 0.1);
        assert_eq!(n("123456789012345678901234567890"), 1.2345678901234568e29);
        assert_eq!(n("1e-400"), 0.0);
        assert!((n("2.2250738585072014e-308") - 2.2250738585072014e-308).abs() < 1e-320);
        for bad in ["01", "1.", ".5", "-", "1e", "+1", "0x10", "NaN", "Infinity"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn rejects_what_json_does_not_allow() {
        for bad in [
            "",
            " ",
            "{",
            "}",
            "{\"a\":1,}",
            "[1,]",
            "{'a':1}",
            "{\"a\" 1}",
            "\"\\x\"",
            "\"a\nb\"",
            "{\"a\":1}x",
            "{\"a\":1,\"a\":2}",
            "tru",
            "nul",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deep), None);
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_some());
    }

    #[test]
    fn nested_values() {
        let v = parse(r#"{"a":[1,{"b":false}],"c":{}}"#).unwrap();
        assert_eq!(
            v.get("a"),
            Some(&Json::Array(vec![
                Json::Number(1.0),
                Json::Object(vec![("b".into(), Json::Bool(false))])
            ]))
        );
    }
}
