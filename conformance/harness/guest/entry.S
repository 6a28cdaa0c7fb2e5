/* The harness's 64-bit entry, exception entry points, the access stubs executed at CPL 0
 * and CPL 3, and the non-local return used to resume after a fault. A boot shim (the KVM
 * target loads long mode through KVM_SET_SREGS; multiboot shims come later) jumps to
 * vt_entry in 64-bit mode with the harness GDT/IDT/TR loaded, RSP = info.stack_top and
 * RDI = the first operation to run. */
#include "asm_abi.h"
#include "access_stubs.inc"

        .code64
        .text

        .globl vt_entry
vt_entry:
        lea __stack_top(%rip), %rsp
        xor %rbp, %rbp
        call harness_main          /* never returns: it reports through VT_PORT_DONE */
1:      hlt
        jmp 1b

/* ---- Non-local resume (setjmp/longjmp without libc) ---------------------------------- */
/* int vt_checkpoint(struct vt_checkpoint *c): returns 0; vt_resume(c) makes it return 1. */
        .globl vt_checkpoint
vt_checkpoint:
        mov %rbx, 0(%rdi)
        mov %rbp, 8(%rdi)
        mov %r12, 16(%rdi)
        mov %r13, 24(%rdi)
        mov %r14, 32(%rdi)
        mov %r15, 40(%rdi)
        lea 8(%rsp), %rax          /* RSP after return */
        mov %rax, 48(%rdi)
        mov (%rsp), %rax           /* return address */
        mov %rax, 56(%rdi)
        pushfq
        pop %rax
        mov %rax, 64(%rdi)
        xor %eax, %eax
        ret

        .globl vt_resume
vt_resume:
        mov 0(%rdi), %rbx
        mov 8(%rdi), %rbp
        mov 16(%rdi), %r12
        mov 24(%rdi), %r13
        mov 32(%rdi), %r14
        mov 40(%rdi), %r15
        mov 48(%rdi), %rsp
        push 64(%rdi)
        popfq
        mov $1, %eax
        jmp *56(%rdi)

/* ---- Loading memory --------------------------------------------------------------------- */
/* void vt_stage(const uint64_t *stores, uint32_t count): the staged stores {guest-physical
 * address, value} (harness_abi.h, VT_STAGING_OFFSET) through the direct map. Supervisor
 * instructions are expensive on some targets: four stores per 15 instructions. */
        .globl vt_stage
vt_stage:
        movabs $B_DIRECT_MAP, %rdx
        mov %esi, %ecx
        shr $2, %ecx
        jz 2f
1:      mov (%rdi), %rax
        mov 8(%rdi), %r8
        mov %r8, (%rdx,%rax)
        mov 16(%rdi), %rax
        mov 24(%rdi), %r8
        mov %r8, (%rdx,%rax)
        mov 32(%rdi), %rax
        mov 40(%rdi), %r8
        mov %r8, (%rdx,%rax)
        mov 48(%rdi), %rax
        mov 56(%rdi), %r8
        mov %r8, (%rdx,%rax)
        add $64, %rdi
        dec %ecx
        jnz 1b
2:      and $3, %esi
        jz 4f
3:      mov (%rdi), %rax
        mov 8(%rdi), %r8
        mov %r8, (%rdx,%rax)
        add $16, %rdi
        dec %esi
        jnz 3b
4:      ret

/* ---- Access stubs ------------------------------------------------------------------------- */
/* Kernel (CPL 0) stubs (access_stubs.inc). */
#define NONCANONICAL $0x8000dead0000beef
        .globl vt_k_read1, vt_k_read2, vt_k_read4, vt_k_read8
        .globl vt_k_write1, vt_k_write2, vt_k_write4, vt_k_write8, vt_k_fetch
CALLED_ACCESS_STUBS vt_k_

/* One access stub per kind and size for code running outside ring 0: the one access, then
 * a jump to `done` (UD2). A fetch jumps to the target with the stack top holding `done`, so
 * a RET there comes back. */
.macro RING_STUBS p, done
        .globl \p\()read1, \p\()read2, \p\()read4, \p\()read8
        .globl \p\()write1, \p\()write2, \p\()write4, \p\()write8, \p\()fetch, \done
\p\()read1:  movzbq (%rdi), %rax; jmp \done
\p\()read2:  movzwq (%rdi), %rax; jmp \done
\p\()read4:  movl (%rdi), %eax; jmp \done
\p\()read8:  movq (%rdi), %rax; jmp \done
\p\()write1: movb %sil, (%rdi); jmp \done
\p\()write2: movw %si, (%rdi); jmp \done
\p\()write4: movl %esi, (%rdi); jmp \done
\p\()write8: movq %rsi, (%rdi); jmp \done
\p\()fetch:  movabs NONCANONICAL, %rax; jmp *%rdi
\done:       ud2
.endm

/* CPL 1 and 2 make supervisor-mode accesses (SDM Vol. 3A 4.6): their stubs live on
 * supervisor pages, so SMEP does not stop them. */
RING_STUBS vt_s_, vt_s_done

/* CPL-3 accesses run in the batch loop (batch.S), whose stubs are on the user page. */

/* ---- Exception entry ---------------------------------------------------------------- */
/* Every vector 0-31 gets a stub that pushes a zero error code when the CPU pushes none
 * (SDM Vol. 3A 6.13, Table 6-1: 8, 10-14, 17, 21, 29, 30 push one), then the vector. (The
 * batch loop has an IDT of its own, batch.S.) */
.macro EXC_NOERR n
vt_exc_\n: pushq $0; pushq $\n; jmp vt_exc_common
.endm
.macro EXC_ERR n
vt_exc_\n: pushq $\n; jmp vt_exc_common
.endm
.irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
EXC_NOERR \n
.endr
.irp n, 8,10,11,12,13,14,17,21,29,30  /* SDM Vol. 3A Table 6-1: these push an error code */
EXC_ERR \n
.endr

/* Frame handed to vt_exception (struct vt_frame in harness.h): r15..rax, vector, error
 * code, then the CPU's RIP, CS, RFLAGS, RSP, SS. */
        .globl vt_exc_common
vt_exc_common:
        push %rax
        push %rbx
        push %rcx
        push %rdx
        push %rsi
        push %rdi
        push %rbp
        push %r8
        push %r9
        push %r10
        push %r11
        push %r12
        push %r13
        push %r14
        push %r15
        mov %rsp, %rdi
        and $-16, %rsp
        call vt_exception          /* records and resumes the interpreter; never returns */
1:      hlt
        jmp 1b

        .section .rodata
        .globl vt_exception_stubs
        .balign 8
vt_exception_stubs:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad vt_exc_\n
        .endr

        .section .note.GNU-stack, "", @progbits
