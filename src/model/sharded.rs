//! `ShardedMap`: a hash map for the world's largest indexes, built so that growing it never
//! stalls a request.
//!
//! A hash table grows by moving every entry at once, re-hashing each key. For the world's big
//! maps (game and player sessions by number and by ID, idempotency tokens) that happens under
//! the world lock: at half a million sessions one growth of the ID map took 96 ms, most of it
//! cache misses while re-hashing strings behind pointers. Two things remove that:
//!
//! - every entry keeps its key's hash, so growing re-hashes nothing (hashbrown's `HashTable`
//!   lets the caller supply hashes), and
//! - the map is split into 64 shards that grow independently, each moving a sixty-fourth of the
//!   entries.
//!
//! Values that are large should be boxed by the caller, so moves copy pointers.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rustc_hash::FxBuildHasher;

const SHARDS: usize = 64;

/// A map from `K` to `V` in 64 shards, each entry with its key's hash.
#[derive(Debug, Clone)]
pub struct ShardedMap<K, V> {
    shards: Vec<HashTable<(u64, K, V)>>,
    len: usize,
}

impl<K, V> Default for ShardedMap<K, V> {
    fn default() -> Self {
        Self { shards: (0..SHARDS).map(|_| HashTable::new()).collect(), len: 0 }
    }
}

fn hash_of<Q: Hash + ?Sized>(key: &Q) -> u64 {
    FxBuildHasher.hash_one(key)
}

/// Bits 32..38 pick the shard: the table uses the top 7 bits (control tags) and the low bits
/// (bucket index) of the same hash, so these leave both well spread within a shard.
fn shard_of(hash: u64) -> usize {
    ((hash >> 32) as usize) & (SHARDS - 1)
}

impl<K: Hash + Eq, V> ShardedMap<K, V> {
    /// The value for `key`.
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let hash = hash_of(key);
        self.shards[shard_of(hash)].find(hash, |(h, k, _)| *h == hash && k.borrow() == key).map(|(_, _, v)| v)
    }

    /// The value for `key`, mutably.
    pub fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let hash = hash_of(key);
        self.shards[shard_of(hash)]
            .find_mut(hash, |(h, k, _)| *h == hash && k.borrow() == key)
            .map(|(_, _, v)| v)
    }

    /// Inserts, returning the value `key` had.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let hash = hash_of(&key);
        match self.shards[shard_of(hash)].entry(hash, |(h, k, _)| *h == hash && *k == key, |(h, _, _)| *h) {
            Entry::Occupied(mut e) => Some(std::mem::replace(&mut e.get_mut().2, value)),
            Entry::Vacant(e) => {
                e.insert((hash, key, value));
                self.len += 1;
                None
            }
        }
    }

    /// The value for `key`, inserting `make()` first when there is none.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let hash = hash_of(&key);
        let entry =
            self.shards[shard_of(hash)].entry(hash, |(h, k, _)| *h == hash && *k == key, |(h, _, _)| *h);
        let occupied = match entry {
            Entry::Occupied(e) => e,
            Entry::Vacant(e) => {
                self.len += 1;
                e.insert((hash, key, make()))
            }
        };
        &mut occupied.into_mut().2
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let hash = hash_of(key);
        let shard = &mut self.shards[shard_of(hash)];
        match shard.find_entry(hash, |(h, k, _)| *h == hash && k.borrow() == key) {
            Ok(e) => {
                self.len -= 1;
                Some(e.remove().0.2)
            }
            Err(_) => None,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.shards.iter().flat_map(|s| s.iter().map(|(_, k, v)| (k, v)))
    }

    /// Every value, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.shards.iter().flat_map(|s| s.iter().map(|(_, _, v)| v))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn behaves_as_a_map_and_spreads_keys_over_every_shard() {
        let mut m: ShardedMap<u64, Box<u64>> = ShardedMap::default();
        for i in 0..10_000u64 {
            assert!(m.insert(i, Box::new(i * 2)).is_none());
        }
        assert_eq!(m.len(), 10_000);
        assert_eq!(m.get(&7).map(|v| **v), Some(14));
        assert_eq!(m.insert(7, Box::new(0)).map(|v| *v), Some(14));
        assert_eq!(m.len(), 10_000);
        assert_eq!(m.remove(&7).map(|v| *v), Some(0));
        assert!(m.get(&7).is_none());
        assert!(m.remove(&7).is_none());
        assert_eq!(m.len(), 9_999);
        assert_eq!(m.values().count(), 9_999);
        let smallest = m.shards.iter().map(|s| s.len()).min().unwrap_or(0);
        assert!(smallest > 100, "keys cluster: smallest shard has {smallest}");
    }

    #[test]
    fn string_keys_are_found_by_str() {
        let mut by_name: ShardedMap<Arc<str>, Vec<u64>> = ShardedMap::default();
        by_name.get_or_insert_with("arn:x".into(), Vec::new).push(1);
        by_name.get_or_insert_with("arn:x".into(), Vec::new).push(2);
        assert_eq!(by_name.get("arn:x"), Some(&vec![1, 2]));
        assert_eq!(by_name.len(), 1);
        if let Some(v) = by_name.get_mut("arn:x") {
            v.clear();
        }
        assert_eq!(by_name.remove("arn:x"), Some(Vec::new()));
        assert!(by_name.is_empty());
    }
}
