//! `.text` functions as programs: the whole list of an object with no other code, and by name
//! in any object.

use super::*;

/// `.text` with a global `entry` calling a static `helper`.
fn text_object(global_entry: bool) -> ElfBuilder {
    let mut b = ElfBuilder::new();
    let t = b.code(
        ".text",
        &[local_call(1), Insn::Exit, mov(Reg::R0, 0), Insn::Exit],
    );
    b.sym("entry", t, 0, 16, STT_FUNC, global_entry);
    b.sym("helper", t, 16, 16, STT_FUNC, false);
    b
}

#[test]
fn an_object_with_only_text_has_its_global_functions_as_programs() {
    let obj = load(&text_object(true).build()).unwrap();
    let names: Vec<&str> = obj.programs().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["entry"]);
    let p = &obj.programs()[0];
    assert_eq!((p.section(), p.prog_type()), (".text", None));
    // The static helper is linked in, as for any program.
    assert_eq!(p.insns().len(), 4);
    // And it can still be asked for by name.
    assert_eq!(obj.program("helper").map(|p| p.insns().len()), Some(2));
}

#[test]
fn with_no_global_function_every_text_function_is_a_program() {
    let obj = load(&text_object(false).build()).unwrap();
    let names: Vec<&str> = obj.programs().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["entry", "helper"]);
}

#[test]
fn text_functions_are_found_by_name_beside_section_programs() {
    let mut b = text_object(true);
    let x = b.code("xdp", &[mov(Reg::R0, 2), Insn::Exit]);
    b.func("prog", x, 0, 2);
    let obj = load(&b.build()).unwrap();
    let names: Vec<&str> = obj.programs().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["prog"]);
    assert_eq!(obj.program("entry").map(|p| p.section()), Some(".text"));
    assert_eq!(obj.text_functions().len(), 2);
}

/// Old objects label a program with an untyped, unsized global symbol: it names the program.
#[test]
fn an_untyped_global_label_names_a_section_without_functions() {
    let mut b = ElfBuilder::new();
    let x = b.code("xdp", &[mov(Reg::R0, 2), Insn::Exit]);
    b.sym("xdp_prog", x, 0, 0, STT_NOTYPE, true);
    b.sym("local_label", x, 8, 0, STT_NOTYPE, false);
    let obj = load(&b.build()).unwrap();
    let names: Vec<&str> = obj.programs().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["xdp_prog"]);
}

/// A `.text` function that cannot be linked does not make the object unreadable unless it is
/// one of the programs.
#[test]
fn an_unlinkable_helper_does_not_hide_the_entry_points() {
    let mut b = ElfBuilder::new();
    let t = b.code(
        ".text",
        &[mov(Reg::R0, 0), Insn::Exit, mov(Reg::R0, 1), Insn::Exit],
    );
    b.sym("entry", t, 0, 16, STT_FUNC, true);
    let broken = b.sym("broken", t, 16, 16, STT_FUNC, false);
    // A map relocation on a `mov`: cannot apply.
    b.rel(t, 16, broken, R_64_64);
    let obj = load(&b.build()).unwrap();
    let names: Vec<&str> = obj.programs().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["entry"]);
    assert!(obj.program("broken").is_none());

    // The same function as the entry point: the object's error.
    let mut b = ElfBuilder::new();
    let t = b.code(".text", &[mov(Reg::R0, 1), Insn::Exit]);
    let entry = b.sym("entry", t, 0, 16, STT_FUNC, true);
    b.rel(t, 0, entry, R_64_64);
    assert!(matches!(kind(&b.build()), LoadErrorKind::BadReloc { .. }));
}
