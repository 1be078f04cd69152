//! Which write/edit tool calls put a given text into a file. The answer is the same as scanning
//! every call with `new_text.contains(body) && !old_text.contains(body)`, but the scan only
//! visits the calls that hold one of the body's inner words (an alphanumeric run with a
//! separator on both sides inside the body, so it is a whole run in any text containing the
//! body); the inverted index of those words is built once, on first use.

use std::cell::OnceCell;
use std::collections::HashMap;

use super::sessions::Written;
use super::text::runs;

pub struct Writes<'d> {
    writes: &'d [Written],
    /// Word of a call's `new_text` → indices of the calls holding it, ascending.
    index: OnceCell<HashMap<&'d str, Vec<usize>>>,
}

impl<'d> Writes<'d> {
    pub fn new(writes: &'d [Written]) -> Self {
        Writes {
            writes,
            index: OnceCell::new(),
        }
    }

    fn index(&self) -> &HashMap<&'d str, Vec<usize>> {
        self.index.get_or_init(|| {
            let mut map: HashMap<&'d str, Vec<usize>> = HashMap::new();
            for (i, w) in self.writes.iter().enumerate() {
                for (_, word) in runs(&w.new_text) {
                    let list = map.entry(word).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
            map
        })
    }

    /// The calls (in call order) whose new text holds `body` and whose old text does not.
    pub fn putting<'s>(&'s self, body: &'s str) -> impl Iterator<Item = &'d Written> + 's {
        let inner = runs(body).filter(|(at, w)| *at > 0 && at + w.len() < body.len());
        let mut narrowest: Option<&[usize]> = None;
        let mut any_inner = false;
        for (_, w) in inner {
            any_inner = true;
            let list = self.index().get(w).map_or(&[][..], Vec::as_slice);
            if narrowest.is_none_or(|n| list.len() < n.len()) {
                narrowest = Some(list);
            }
        }
        let writes = self.writes;
        let candidates: Box<dyn Iterator<Item = &'d Written> + 's> = match narrowest {
            Some(list) => Box::new(list.iter().filter_map(move |&i| writes.get(i))),
            None if !any_inner => Box::new(writes.iter()),
            None => Box::new(std::iter::empty()),
        };
        candidates.filter(move |w| w.new_text.contains(body) && !w.old_text.contains(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(new_text: &str, old_text: &str) -> Written {
        Written {
            sess: 0,
            event: None,
            at: String::new(),
            new_text: new_text.into(),
            old_text: old_text.into(),
        }
    }

    #[test]
    fn same_as_a_scan() {
        let ws = vec![
            written("- deploy with `make ship` on fridays\n", ""),
            written("xx- deploy with `make ship` on fridaysyy\n", ""),
            written(
                "- deploy with `make ship` on fridays\n",
                "- deploy with `make ship`",
            ),
            written("deploy with make ship\n", ""),
            written("ab\n", ""),
        ];
        let idx = Writes::new(&ws);
        for body in [
            "- deploy with `make ship` on fridays",
            "deploy with `make ship`",
            "with `make ship` on",
            "ship",
            "ab",
            "`make",
            "deploy with make ship",
            "not there at all",
        ] {
            let fast: Vec<*const Written> = idx.putting(body).map(std::ptr::from_ref).collect();
            let slow: Vec<*const Written> = ws
                .iter()
                .filter(|w| w.new_text.contains(body) && !w.old_text.contains(body))
                .map(std::ptr::from_ref)
                .collect();
            assert_eq!(fast, slow, "{body}");
        }
        let words: Vec<(usize, &str)> = runs("a-bc  d").collect();
        assert_eq!(words, vec![(0, "a"), (2, "bc"), (6, "d")]);
    }
}
