//! Keys and key ranges, as etcd's `[key, range_end)`.

/// A key, a key range or a prefix, as etcd's `[key, range_end)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyRange {
    /// First key.
    pub key: Vec<u8>,
    /// End of the range (exclusive); empty for the single key `key`.
    pub range_end: Vec<u8>,
}

impl KeyRange {
    /// Exactly `key`.
    pub fn key(key: impl Into<Vec<u8>>) -> Self {
        KeyRange {
            key: key.into(),
            range_end: Vec::new(),
        }
    }

    /// Every key starting with `prefix`; the empty prefix means every key.
    pub fn prefix(prefix: impl Into<Vec<u8>>) -> Self {
        let prefix = prefix.into();
        if prefix.is_empty() {
            return KeyRange {
                key: vec![0],
                range_end: vec![0],
            };
        }
        let range_end = string_plus_one(&prefix);
        KeyRange {
            key: prefix,
            range_end,
        }
    }

    /// `[key, range_end)`.
    pub fn range(key: impl Into<Vec<u8>>, range_end: impl Into<Vec<u8>>) -> Self {
        KeyRange {
            key: key.into(),
            range_end: range_end.into(),
        }
    }

    /// The range an FFI call names with a key, an optional range end and a "recursive" flag:
    /// `[key, range_end)` when there is a range end, else every key under the prefix `key` when
    /// `recursive`, else exactly `key`.
    pub fn from_args(key: impl Into<Vec<u8>>, range_end: Option<Vec<u8>>, recursive: bool) -> Self {
        match range_end {
            Some(end) => KeyRange::range(key, end),
            None if recursive => KeyRange::prefix(key),
            None => KeyRange::key(key),
        }
    }

    /// True when the range is a single key.
    pub fn is_single_key(&self) -> bool {
        self.range_end.is_empty()
    }
}

/// The smallest key greater than every key with this prefix (etcd-cpp-apiv3's
/// `etcdv3::detail::string_plus_one`): trailing 0xff bytes are dropped and the last byte is
/// incremented; an empty or all-0xff key gives `"\0"` (the end of the keyspace).
pub fn string_plus_one(key: &[u8]) -> Vec<u8> {
    let mut end = key.to_vec();
    while let Some(&last) = end.last() {
        if last == 0xff {
            end.pop();
        } else {
            *end.last_mut().expect("non-empty") += 1;
            return end;
        }
    }
    vec![0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_one() {
        assert_eq!(string_plus_one(b"/a"), b"/b");
        assert_eq!(string_plus_one(b"a\xff\xff"), b"b");
        assert_eq!(string_plus_one(b"\xff"), b"\0");
        assert_eq!(string_plus_one(b""), b"\0");
        assert_eq!(string_plus_one(b"a\0"), b"a\x01");
    }

    #[test]
    fn ranges() {
        assert_eq!(KeyRange::prefix(""), KeyRange::range(vec![0], vec![0]));
        assert_eq!(KeyRange::prefix("/x"), KeyRange::range("/x", "/y"));
        assert!(KeyRange::key("k").is_single_key());
        assert_eq!(
            KeyRange::from_args("/x", None, true),
            KeyRange::prefix("/x")
        );
        assert_eq!(KeyRange::from_args("/x", None, false), KeyRange::key("/x"));
        assert_eq!(
            KeyRange::from_args("/x", Some(b"/z".to_vec()), true),
            KeyRange::range("/x", "/z")
        );
    }
}
