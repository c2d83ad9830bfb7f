//! The table budget: a description or an overlay makes at most
//! [`MAX_TABLES`] tables, counted before toml parses it.
//!
//! The byte limit (4 MiB) alone does not bound the parse: toml keeps each
//! table as a map of its own, about 1.1 KB even when it holds one key, so
//! 4 MB of `[environments.eN]` headers become 180 000 tables and ~280 MiB
//! before a single field is checked. A real description has tens of
//! tables; the budget is a thousand times that, and stops the hostile one
//! at a few MiB.

use crate::diag::{Error, ErrorKind};

/// The most tables a description, or an overlay, may make.
pub const MAX_TABLES: usize = 50_000;

/// Counts, without building anything, what can make a table in `source`:
/// each `[table]` or `[[array]]` header, each inline `{ ... }` table, and
/// each `.` of a dotted key (the count is an upper bound: a dotted key
/// may reuse a table another made, and a float's `.` counts too). More
/// than [`MAX_TABLES`] is an error naming `file`, and the line and column
/// where the count passed the budget; the text itself is not quoted, since
/// it is not parsed yet and may hold a secret. Gives the comments it passed,
/// for masking: the text is lexed once for both.
pub fn check(file: &str, source: &str) -> Result<Comments, Error> {
    use toml_parser::lexer::TokenKind;
    let mut count = 0usize;
    let mut line_start = true;
    let mut comments = Vec::new();
    for token in toml_parser::Source::new(source).lex() {
        let kind = token.kind();
        comments.extend(crate::diag::comment_text(&token));
        let makes_table = match kind {
            TokenKind::LeftSquareBracket => line_start,
            TokenKind::LeftCurlyBracket | TokenKind::Dot => true,
            _ => false,
        };
        line_start = match kind {
            TokenKind::Newline => true,
            TokenKind::Whitespace => line_start,
            _ => false,
        };
        if !makes_table {
            continue;
        }
        count += 1;
        if count > MAX_TABLES {
            let before = &source[..token.span().start()];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            return Err(Error::bare(
                ErrorKind::Parse,
                file,
                format!(
                    "`{file}` makes more than {MAX_TABLES} tables (`[headers]`, `{{ inline }}` \
                     tables and dotted keys), at line {line}, column {column}: a description \
                     this large is not one kubetoml reads; split it into several"
                ),
            ));
        }
    }
    Ok(Comments(comments))
}

/// The text of every comment of a description that [`check`] passed, as
/// `comment_spans` (in `diag::mask`) finds it: the lexing is done once.
/// Spans only, no text.
#[derive(Debug)]
pub struct Comments(pub Vec<std::ops::Range<usize>>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_of_ordinary_size_passes() {
        let text = "name = \"app\"\nimage = \"x\"\n[env]\nA = \"1.5\"\nB = 1.5\n\
                    [[init_containers]]\nname = \"i\"\nresources = { cpu = \"1\" }\n\
                    [environments.prod]\nenv.A = \"2\"\n";
        assert!(check("app.toml", text).is_ok());
    }

    #[test]
    fn the_comments_are_those_masking_finds() {
        let text = "# top\nname = \"app\" # the name\n#\n[secrets.s]\n# pw = \"x\"\nliterals = { a = \"#no\" }\n";
        let found = check("app.toml", text).unwrap().0;
        assert_eq!(found, crate::diag::Source::comment_spans_of(text));
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(&text[found[1].clone()], " the name");
    }

    #[test]
    fn every_kind_of_table_counts_and_the_error_points_at_the_line() {
        let per_line = ["[e%]\n", "[[e%]]\n", "e% = { a = 1 }\n", "e%.a = 1\n"];
        for line in per_line {
            let body: String = (0..=MAX_TABLES)
                .map(|i| line.replace('%', &i.to_string()))
                .collect();
            let e = check("big.toml", &body).expect_err(line);
            let message = e.draw(false);
            let expected = format!("at line {}, column", MAX_TABLES + 1);
            assert!(message.contains(&expected), "{line}: {message}");
            assert!(message.contains("big.toml"), "{message}");
            let fits: String = (0..MAX_TABLES)
                .map(|i| line.replace('%', &i.to_string()))
                .collect();
            assert!(check("big.toml", &fits).is_ok(), "{line}");
        }
    }

    #[test]
    fn brackets_and_dots_inside_strings_and_arrays_do_not_count() {
        let body: String = (0..=MAX_TABLES)
            .map(|i| format!("k{i} = [\"[a.b]\", '{{', [1, 2]]\n"))
            .collect();
        assert!(check("strings.toml", &body).is_ok());
    }

    #[test]
    fn the_error_never_quotes_the_text() {
        let body: String = (0..=MAX_TABLES)
            .map(|i| format!("[secrets.s{i}]\nliterals = {{ pw = \"hunter2-{i}\" }}\n"))
            .collect();
        let message = check("s.toml", &body).unwrap_err().draw(false);
        assert!(!message.contains("hunter2"), "{message}");
        assert!(!message.contains("secrets.s"), "{message}");
    }
}
