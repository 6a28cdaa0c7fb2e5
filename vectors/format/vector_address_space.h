/* The part of the guest's address spaces a vtspec/vector/1 vector may use. The rest belongs
 * to the guest harness that every real target runs the vector under (conformance/harness),
 * so a vector outside these limits is one the model could run and no target could: the
 * loader refuses it (vectors/format/vector_address_space.hpp), and the harness places
 * itself in what is left. Plain C: the guest harness reads it too (harness_abi.h).
 * One definition; vectors/SCHEMA.md ("What a vector may use") explains each limit. */
#ifndef VTSPEC_VECTOR_ADDRESS_SPACE_H
#define VTSPEC_VECTOR_ADDRESS_SPACE_H

/* Vector memory (paging structures, data pages, checked entries, store_entry targets,
 * top-level tables) lies in guest-physical [0, 1 GiB). Targets place the harness above. */
#define VTSPEC_VECTOR_GPA_LIMIT 0x40000000ull

/* Entry 511 of every top-level table the vector runs on (the initial CR3 and every MOV CR3
 * target) is the harness's: it maps the harness's code, data and direct map. So a vector's
 * linear addresses stay below 0xffffff8000000000, where that entry's 512 GiB begin. */
#define VTSPEC_RESERVED_PML4_INDEX 511u
#define VTSPEC_VECTOR_LINEAR_LIMIT 0xffffff8000000000ull

/* The harness's program and results areas hold this many operations and checked entries. */
#define VTSPEC_VECTOR_MAX_OPERATIONS 1024u
#define VTSPEC_VECTOR_MAX_CHECKED_ENTRIES 32u

#endif
