//! Legacy `maps` sections in each layout, unsized symbols, several sections, and map-in-map
//! templates named by `inner_map_idx` (samples/bpf) or `inner_id` (iproute2).

use super::*;

const STT_NOTYPE_: u8 = STT_NOTYPE;
const ARRAY: u32 = 2;
const ARRAY_OF_MAPS: u32 = 12;

fn words(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// `minimal()` plus section `name` holding `defs` (each `size` bytes), one symbol per definition.
fn with_maps(name: &str, defs: &[(&str, Vec<u32>)], size: u64, st_type: u8) -> ElfBuilder {
    let mut b = minimal();
    let mut data = Vec::new();
    let mut at = Vec::new();
    for (n, ws) in defs {
        at.push((*n, data.len() as u64));
        let mut d = words(ws);
        d.resize(size as usize, 0);
        data.extend(d);
    }
    let m = b.sec(name, 1, 3, data);
    for (n, off) in at {
        let sym_size = if st_type == STT_NOTYPE_ { 0 } else { size };
        b.sym(n, m, off, sym_size, st_type, true);
    }
    b
}

fn map<'a>(obj: &'a Object, name: &str) -> &'a crate::program::MapDef {
    obj.maps().iter().find(|m| m.name == name).unwrap()
}

#[test]
fn unsized_symbols_share_the_section_evenly() {
    let defs = [
        ("a", vec![ARRAY, 4, 4, 1, 0]),
        ("b", vec![ARRAY, 4, 8, 2, 0]),
    ];
    let obj = load(&with_maps("maps", &defs, 20, STT_NOTYPE_).build()).unwrap();
    assert_eq!(
        (map(&obj, "a").value_size, map(&obj, "b").max_entries),
        (4, 2)
    );

    // 3 symbols over 40 bytes: no whole size each.
    let mut b = with_maps("maps", &defs, 20, STT_NOTYPE_);
    let m = b.secs.iter().position(|s| s.name == "maps").unwrap() as u16 + 1;
    b.sym("c", m, 30, 0, STT_NOTYPE_, true);
    let k = kind(&b.build());
    assert!(
        matches!(&k, LoadErrorKind::BadMap { what, .. } if what.contains("3 map symbols share 40 bytes")),
        "{k:?}"
    );
}

#[test]
fn maps_slash_sections_are_legacy_maps_too() {
    let mut b = with_maps(
        "maps/one",
        &[("a", vec![ARRAY, 4, 4, 1, 0])],
        20,
        STT_OBJECT,
    );
    let mut data = words(&[1, 8, 16, 10, 0]);
    data.resize(20, 0);
    let m = b.sec("maps/two", 1, 3, data);
    b.sym("h", m, 0, 20, STT_OBJECT, true);
    let obj = load(&b.build()).unwrap();
    let names: Vec<&str> = obj.maps().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["a", "h"]);
    assert_eq!(map(&obj, "h").key_size, 8);
}

#[test]
fn samples_layout_names_the_inner_template_by_index() {
    let defs = [
        ("tmpl", vec![ARRAY, 4, 8, 1, 0, 0, 0]),
        ("outer", vec![ARRAY_OF_MAPS, 4, 4, 4, 0, 0, 0]),
    ];
    let obj = load(&with_maps("maps", &defs, 28, STT_OBJECT).build()).unwrap();
    let inner = map(&obj, "outer").inner.as_deref().expect("inner template");
    assert_eq!((inner.name.as_str(), inner.value_size), ("tmpl", 8));
    assert!(map(&obj, "tmpl").inner.is_none());

    let bad = [("outer", vec![ARRAY_OF_MAPS, 4, 4, 4, 0, 5, 0])];
    let k = kind(&with_maps("maps", &bad, 28, STT_OBJECT).build());
    assert!(
        matches!(&k, LoadErrorKind::BadMap { map, what } if map == "outer" && what.contains("inner_map_idx 5 names no map")),
        "{k:?}"
    );
}

#[test]
fn iproute2_layout_names_the_inner_template_by_id_and_fills_its_slot() {
    // type, key, value, entries, flags, id, pinning, inner_id, inner_idx
    let defs = [
        ("outer", vec![ARRAY_OF_MAPS, 4, 4, 4, 0, 0, 2, 7, 0]),
        ("tmpl", vec![ARRAY, 4, 8, 1, 0, 7, 0, 0, 3]),
        ("plain", vec![ARRAY, 4, 4, 1, 0, 0, 0, 0, u32::MAX]),
    ];
    let obj = load(&with_maps("maps", &defs, 36, STT_OBJECT).build()).unwrap();
    let outer = map(&obj, "outer");
    assert_eq!(
        outer.inner.as_deref().map(|m| m.name.as_str()),
        Some("tmpl")
    );
    assert_eq!(outer.init_slots, [(3, "tmpl".to_string())]);
    assert_eq!(outer.pinning, crate::program::Pinning::ByName);
    assert!(map(&obj, "plain").inner.is_none());

    let bad = [("outer", vec![ARRAY_OF_MAPS, 4, 4, 4, 0, 0, 0, 9, 0])];
    let k = kind(&with_maps("maps", &bad, 36, STT_OBJECT).build());
    assert!(
        matches!(&k, LoadErrorKind::BadMap { what, .. } if what.contains("inner_id 9 names no map")),
        "{k:?}"
    );
}
