/* The batch loop: a run of consecutive accesses at CPL 0 and CPL 3 executed by a loop that
 * itself runs at CPL 3.
 *
 * Why: on this machine's KVM backend every supervisor instruction is emulated (about 1 us
 * each), and so is user code in the upper half of the address space, while user code in the
 * lower half runs natively (docs/kvm-divergences.md section 4). The C interpreter spends a
 * few hundred supervisor instructions per operation (checkpoint, dispatch, recording,
 * reading back the checked entries). Here the bookkeeping is user code running at a
 * lower-half copy of the harness's PML4 entry (harness_abi.h, VT_USER_ALIAS_LINEAR), and the
 * supervisor instructions per operation are only those the architecture makes necessary:
 * for a CPL-0 access the exception that enters ring 0, the access and the IRETQ (8
 * instructions, 10 with RFLAGS.AC set); for a fault the handler below (10). The way in is a
 * division by zero (#DE), not UD2: this KVM first tries to emulate the instruction behind
 * every #UD, about 10 us more. What is executed for the vector is unchanged: the same one
 * access instruction per operation, at the operation's CPL, with RFLAGS.AC as the vector has
 * it, and nothing between two operations touches the vector's translations (the loop uses
 * only harness pages).
 *
 * While the loop runs, the IDT is one of the two batch IDTs (descriptors.c), whose gates lead
 * here; they differ only in the #DE handler, which restores RFLAGS.AC for vectors that set it.
 * Registers of the loop (CPL 3):
 *   R12 operation index, R13 end of the run, R14 the vt_op (VT_USER_PROGRAM),
 *   RBX its vt_result (VT_USER_RESULTS), RBP the read-back list, R11 vt_ub_fault (here),
 *   R15 the state: 0 bookkeeping (an exception is a harness failure), 1 a CPL-3 access in
 *   progress, 3 a CPL-0 access or privileged operation in progress (an exception is its
 *   outcome), 2 asking ring 0 for one (the next #DE), 4 asking to leave (the next #DE),
 *   5 asking ring 0 for a CPL-1/2 access (the next #DE), 6 a CPL-1/2 access in progress.
 * A CPL-0 access: RDI address, RSI value, RDX stub index (access * 4 + log2(size)), R15 = 2,
 * DIV by zero; the #DE handler calls the kernel stub and resumes after the DIV with RAX. A
 * fault: the handler resumes at R11 with EAX vector, RDX error code, RCX CR2 (#PF, else 0),
 * R8 faulting RIP, R9 the CS of the fault's frame (the one the access ran with). */
#include "asm_abi.h"
#include "access_stubs.inc"

#define NONCANONICAL $0x8000dead0000beef

/* ---- The loop (CPL 3, on the user page) -------------------------------------------------- */
/* Everything the loop reaches is addressed RIP-relative, so it runs at the lower-half copy of
 * PML4 entry 511 as well (vt_program_header.user_alias). The aliases are linker symbols
 * (harness.ld; checked by harness_main), so that the displacements are PC-relative. */
        .section .user_text, "ax"
        .globl vt_ub_start, vt_ub_fault
vt_ub_start:
        lea vt_ub_fault(%rip), %r11
vt_ub_loop:
        cmp %r13, %r12
        jae 8f
        movl %r12d, __user_results + RH_CURRENT_OP(%rip)
        movl $B_STARTED, R_STATUS(%rbx)
        mov OP_ADDRESS(%r14), %rdi
        mov OP_VALUE(%r14), %rsi
        cmpb $B_OP_ACCESS, OP_KIND(%r14)
        jne vt_ub_privileged
        movzbl OP_SIZE(%r14), %edx
        bsf %edx, %edx                   /* 1, 2, 4, 8 -> 0..3 */
        movzbl OP_ACCESS(%r14), %ecx
        lea (%rdx,%rcx,4), %edx
        cmpb $3, OP_CPL(%r14)
        je 1f
        cmpb $0, OP_CPL(%r14)
        jne vt_ub_ring12
vt_ub_ring0:
        mov $2, %r15d
        xor %r10d, %r10d
        div %r10d                        /* CPL 0: made by the #DE handler */
        jmp 2f
1:      mov $1, %r15d
        lea vt_ub_stubs(%rip), %rax
        call *(%rax,%rdx,8)              /* CPL 3: the stub's address is the copy's too */
2:      xor %r15d, %r15d
        mov %rax, R_VALUE(%rbx)
        movl $B_COMPLETED, R_STATUS(%rbx)
        jmp 5f
vt_ub_fault:
        xor %r15d, %r15d
        lea __user_stack_top(%rip), %rsp /* a CPL-3 access faulted inside its stub's call */
        /* A fetch that reached its target and then faulted on the bytes there (not a #PF on
         * those bytes) did fetch: the same rule as the interpreter's (README.md). */
        cmpb $B_FETCH, OP_ACCESS(%r14)
        jne 4f
        cmp OP_ADDRESS(%r14), %r8
        jne 4f
        cmp $14, %eax
        jne 3f
        mov %rcx, %r10
        sub %r8, %r10
        cmp $16, %r10
        jb 4f
3:      movl $B_COMPLETED, R_STATUS(%rbx)
        movq $0, R_VALUE(%rbx)
        mov %r8, R_RIP(%rbx)
        movl %eax, R_VECTOR(%rbx)
        jmp 5f
4:      movl %eax, R_VECTOR(%rbx)
        mov %rdx, R_ERROR(%rbx)
        mov %rcx, R_CR2(%rbx)
        mov %r8, R_RIP(%rbx)
        mov %r9, R_CS(%rbx)              /* the CS the fault's frame holds */
        movl $B_EXCEPTION, R_STATUS(%rbx)
        /* The checked entries after the operation, through the read-only alias. */
5:      movl __user_program + PH_READBACK_COUNT(%rip), %ecx
        test %ecx, %ecx
        jz 7f
        mov %r12, %rdi
        shl $B_READBACK_STRIDE_SHIFT, %rdi
        lea __user_results + B_READBACK_VALUES(%rip), %rax
        add %rax, %rdi
        lea __user_direct(%rip), %r10
        xor %esi, %esi
6:      mov (%rbp,%rsi,8), %rax
        mov (%r10,%rax), %rax
        mov %rax, (%rdi,%rsi,8)
        inc %esi
        cmp %ecx, %esi
        jb 6b
7:      inc %r12
        movl %r12d, __user_results + RH_OPS_DONE(%rip)
        add $OP_SIZEOF, %r14
        add $R_SIZEOF, %rbx
        jmp vt_ub_loop
8:      mov $4, %r15d
        xor %r10d, %r10d
        div %r10d                        /* back to the interpreter */
/* An access at CPL 1 or 2: ring 0 IRETQs to the ring's stub (vt_s_*, entry.S: supervisor
 * pages, a supervisor stack), which ends in UD2 at vt_s_done; the batch #UD handler brings
 * the value back here, after the DIV (vt_batch_ring, vt_batch_ud). R8 is the CPL. */
vt_ub_ring12:
        movzbl OP_CPL(%r14), %r8d
        mov $5, %r15d
        xor %r10d, %r10d
        div %r10d                        /* ring 0 enters the ring; back here when its stub is done */
        cmpb $0, OP_ACCESS(%r14)         /* B_READ: the value read; else 0, as for the other rings */
        je 2b
        xor %eax, %eax
        jmp 2b
/* An operation other than an access (store_entry, INVLPG, MOV to CR3/CR4/CR0, INVPCID,
 * WRMSR to IA32_EFER, WRPKRU): ring 0 runs its one instruction the way it runs a CPL-0
 * access, stub vt_bk_stubs[12 + kind - VT_OP_STORE_ENTRY], with R8 the PCID and R9 the
 * INVPCID type; a fault (e.g. #GP for a reserved CR bit) is its outcome, as for an access. */
vt_ub_privileged:
        movzbl OP_KIND(%r14), %edx
        add $(12 - B_OP_STORE_ENTRY), %edx
        mov OP_PCID(%r14), %r8
        movzbl OP_TYPE(%r14), %r9d
        jmp vt_ub_ring0

/* CPL-3 access stubs (access_stubs.inc), on the user page. */
CALLED_ACCESS_STUBS vt_ub_
        .balign 8
vt_ub_stubs:
        .quad vt_ub_read1, vt_ub_read2, vt_ub_read4, vt_ub_read8
        .quad vt_ub_write1, vt_ub_write2, vt_ub_write4, vt_ub_write8
        .quad vt_ub_fetch, vt_ub_fetch, vt_ub_fetch, vt_ub_fetch

/* ---- Ring 0 --------------------------------------------------------------------------- */
        .text
/* void vt_batch_run(uint32_t first, uint32_t end): runs operations [first, end), every one
 * an access at CPL 0 or 3, and returns when the loop has finished them. The loop runs at the
 * addresses plus vt_program_header.user_alias. */
        .globl vt_batch_run
vt_batch_run:
        push %rbx
        push %rbp
        push %r12
        push %r13
        push %r14
        push %r15
        mov %rsp, vt_batch_saved_rsp(%rip)
        testl $0x40000, B_PROGRAM + PH_USER_RFLAGS   /* RFLAGS.AC */
        jnz 1f
        lidt vt_batch_idtr(%rip)
        jmp 2f
1:      lidt vt_batch_ac_idtr(%rip)
2:
        mov B_PROGRAM + PH_USER_ALIAS, %rcx
        mov %edi, %r12d
        mov %esi, %r13d
        imul $OP_SIZEOF, %r12, %r14
        lea B_USER_PROGRAM + PH_SIZE(%rcx,%r14), %r14
        imul $R_SIZEOF, %r12, %rbx
        lea B_USER_RESULTS + RH_SIZE(%rcx,%rbx), %rbx
        movl B_PROGRAM + PH_OP_COUNT, %eax
        imul $OP_SIZEOF, %rax, %rbp
        lea B_USER_PROGRAM + PH_SIZE(%rcx,%rbp), %rbp  /* the read-back list follows the operations */
        xor %r15d, %r15d
        pushq $(B_SEL_USER_DATA | 3)
        lea __user_stack_top(%rcx), %rax
        push %rax
        pushq B_PROGRAM + PH_USER_RFLAGS
        pushq $(B_SEL_USER_CODE | 3)
        lea vt_ub_start(%rcx), %rax
        push %rax
        iretq

/* #DE (stack: RIP, CS, RFLAGS, RSP, SS), for vectors with RFLAGS.AC = 0. */
#define DIV_LENGTH 3                     /* div %r10d: 41 f7 f2 */
vt_batch_de:
        cmp $2, %r15d
        jne vt_batch_de_other
        mov $3, %r15d                    /* the CPL-0 access is in progress */
        call *vt_bk_stubs(,%rdx,8)
        addq $DIV_LENGTH, (%rsp)         /* past the DIV */
        iretq
/* The same for vectors with RFLAGS.AC = 1: the access runs with the loop's RFLAGS, AC as the
 * vector has it. (This KVM clears AC on the way in, although IDT event delivery leaves it
 * alone, SDM Vol. 2A INT n, IA-32e mode; POPF at CPL 0 restores it.) */
vt_batch_de_ac:
        cmp $2, %r15d
        jne vt_batch_de_other
        mov $3, %r15d
        pushq 16(%rsp)
        popfq
        call *vt_bk_stubs(,%rdx,8)
        addq $DIV_LENGTH, (%rsp)
        iretq
vt_batch_de_other:
        cmp $4, %r15d
        je vt_batch_leave
        cmp $5, %r15d
        je vt_batch_ring
        pushq $0
        pushq $0
        jmp vt_batch_fault

/* A CPL-1/2 access asked for by the loop (R8 the CPL, RDX the stub index): IRETQ to the
 * ring's stub with the ring's code and stack selectors (RPL = CPL), its supervisor stack and
 * the loop's RFLAGS (AC as the vector has it). A fault there enters ring 0 at RSP0 again,
 * over the #DE frame, so the loop's frame is kept first (vt_batch_loop_frame). */
vt_batch_ring:
        mov $6, %r15d
        mov (%rsp), %rax
        mov %rax, vt_batch_loop_frame(%rip)
        mov 8(%rsp), %rax
        mov %rax, vt_batch_loop_frame + 8(%rip)
        mov 16(%rsp), %rax
        mov %rax, vt_batch_loop_frame + 16(%rip)
        mov 24(%rsp), %rax
        mov %rax, vt_batch_loop_frame + 24(%rip)
        mov 32(%rsp), %rax
        mov %rax, vt_batch_loop_frame + 32(%rip)
        mov vt_ring_cs(,%r8,8), %rax
        lea -8(%rax), %rcx               /* SS: the ring's data descriptor, same RPL */
        push %rcx
        lea vt_ring_stack + B_RING_STACK_TOP(%rip), %rcx
        push %rcx
        pushq B_PROGRAM + PH_USER_RFLAGS
        push %rax
        pushq vt_bs_stubs(,%rdx,8)
        xor %eax, %eax
        iretq
/* #UD (stack: RIP, CS, RFLAGS, RSP, SS): the ring's stub done (UD2 at vt_s_done) is the
 * access completed, RAX the value; back after the loop's DIV. Any other #UD is a fault. */
vt_batch_ud:
        cmp $6, %r15d
        jne 1f
        cmpq $vt_s_done, (%rsp)
        jne 1f
        mov $(__rsp0_top), %rsp
        pushq vt_batch_loop_frame + 32(%rip)
        pushq vt_batch_loop_frame + 24(%rip)
        pushq vt_batch_loop_frame + 16(%rip)
        pushq vt_batch_loop_frame + 8(%rip)
        pushq vt_batch_loop_frame(%rip)
        addq $DIV_LENGTH, (%rsp)
        iretq
1:      pushq $0
        pushq $6
        jmp vt_batch_fault

vt_batch_leave:
        lidt vt_normal_idtr(%rip)
        mov vt_batch_saved_rsp(%rip), %rsp
        pop %r15
        pop %r14
        pop %r13
        pop %r12
        pop %rbp
        pop %rbx
        ret                              /* from vt_batch_run */

/* #PF (stack: error code, RIP, CS, RFLAGS, RSP, SS). */
vt_batch_pf:
        test %r15d, %r15d
        jz 9f
        pop %rdx
        mov %cr2, %rcx                   /* SDM Vol. 3A 4.7: the linear address */
        mov $14, %eax
vt_batch_resume:                         /* back to the loop (RAX, RDX, RCX set) */
        mov (%rsp), %r8
        mov 8(%rsp), %r9
        cmp $3, %r15d
        jne 1f
        mov $(__rsp0_top - 40), %rsp     /* a CPL-0 access: the #DE frame from CPL 3 */
1:      cmp $6, %r15d
        jne 2f
        mov $(__rsp0_top), %rsp          /* a CPL-1/2 access: the loop's kept frame */
        pushq vt_batch_loop_frame + 32(%rip)
        pushq vt_batch_loop_frame + 24(%rip)
        pushq vt_batch_loop_frame + 16(%rip)
        pushq vt_batch_loop_frame + 8(%rip)
        pushq vt_batch_loop_frame(%rip)
2:      mov %r11, (%rsp)
        iretq
9:      pushq $14
        jmp vt_exc_common                /* not in an access: the interpreter reports it */

/* Every other exception (stack: vector, error code, RIP, CS, RFLAGS, RSP, SS). */
vt_batch_fault:
        test %r15d, %r15d
        jz vt_exc_common
        pop %rax
        pop %rdx
        xor %ecx, %ecx
        jmp vt_batch_resume

.macro BATCH_NOERR n
vt_bexc_\n: pushq $0; pushq $\n; jmp vt_batch_fault
.endm
.macro BATCH_ERR n
vt_bexc_\n: pushq $\n; jmp vt_batch_fault
.endm
.irp n, 1,2,3,4,5,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
BATCH_NOERR \n
.endr
.irp n, 10,11,12,13,17,21,29,30  /* SDM Vol. 3A Table 6-1: these push an error code */
BATCH_ERR \n
.endr

/* Ring-0 stubs of the operations that are not accesses: the instruction the interpreter's
 * run_operation executes for each (interpreter.c, with its SDM references), RDI address,
 * RSI value, R8 PCID, R9 INVPCID type; RAX = 0. */
vt_bk_store_entry:                       /* SDM Vol. 3A 4.10.4: through the direct map */
        movabs $B_DIRECT_MAP, %rax
        mov %rsi, (%rax,%rdi)
        xor %eax, %eax
        ret
vt_bk_invlpg:   invlpg (%rdi); xor %eax, %eax; ret
vt_bk_mov_cr3:  mov %rsi, %cr3; xor %eax, %eax; ret
vt_bk_mov_cr4:  mov %rsi, %cr4; xor %eax, %eax; ret
vt_bk_mov_cr0:  mov %rsi, %cr0; xor %eax, %eax; ret
vt_bk_invpcid:                           /* SDM Vol. 2A INVPCID: descriptor {PCID, linear} */
        push %rdi                        /* 16-byte aligned: 5 frame words, the call, these two */
        push %r8
        invpcid (%rsp), %r9
        add $16, %rsp
        xor %eax, %eax
        ret
vt_bk_wrmsr_efer:                        /* WRMSR, ECX = C0000080H (IA32_EFER), EDX:EAX */
        mov $0xc0000080, %ecx
        mov %esi, %eax
        mov %rsi, %rdx
        shr $32, %rdx
        wrmsr
        xor %eax, %eax
        ret
vt_bk_wrpkru:                            /* SDM Vol. 2B WRPKRU: ECX = EDX = 0 */
        mov %esi, %eax
        xor %ecx, %ecx
        xor %edx, %edx
        wrpkru
        xor %eax, %eax
        ret

        .section .rodata
        .balign 8
vt_bk_stubs:
        .quad vt_k_read1, vt_k_read2, vt_k_read4, vt_k_read8
        .quad vt_k_write1, vt_k_write2, vt_k_write4, vt_k_write8
        .quad vt_k_fetch, vt_k_fetch, vt_k_fetch, vt_k_fetch
        /* by vt_op_kind from VT_OP_STORE_ENTRY */
        .quad vt_bk_store_entry, vt_bk_invlpg, vt_bk_mov_cr3, vt_bk_mov_cr4
        .quad vt_bk_mov_cr0, vt_bk_invpcid, vt_bk_wrmsr_efer, vt_bk_wrpkru
/* The CPL-1/2 stubs by the same index as vt_k_* (entry.S), and the rings' code selectors. */
vt_bs_stubs:
        .quad vt_s_read1, vt_s_read2, vt_s_read4, vt_s_read8
        .quad vt_s_write1, vt_s_write2, vt_s_write4, vt_s_write8
        .quad vt_s_fetch, vt_s_fetch, vt_s_fetch, vt_s_fetch
vt_ring_cs:
        .quad 0, B_SEL_RING1_CODE | 1, B_SEL_RING2_CODE | 2
/* The batch IDTs' handlers by vector (descriptors.c builds vt_batch_idt and vt_batch_ac_idt
 * from them, the latter with vt_batch_de_ac for #DE); 0 for the double fault, which keeps
 * the interpreter's handler and its IST stack. */
        .globl vt_batch_stubs, vt_batch_de_ac
vt_batch_stubs:
        .quad vt_batch_de, vt_bexc_1, vt_bexc_2, vt_bexc_3, vt_bexc_4, vt_bexc_5, vt_batch_ud, vt_bexc_7
        .quad 0, vt_bexc_9, vt_bexc_10, vt_bexc_11, vt_bexc_12, vt_bexc_13, vt_batch_pf, vt_bexc_15
        .quad vt_bexc_16, vt_bexc_17, vt_bexc_18, vt_bexc_19, vt_bexc_20, vt_bexc_21, vt_bexc_22, vt_bexc_23
        .quad vt_bexc_24, vt_bexc_25, vt_bexc_26, vt_bexc_27, vt_bexc_28, vt_bexc_29, vt_bexc_30, vt_bexc_31
vt_batch_idtr:
        .word 32 * 16 - 1
        .quad vt_batch_idt
vt_batch_ac_idtr:
        .word 32 * 16 - 1
        .quad vt_batch_ac_idt
vt_normal_idtr:
        .word 32 * 16 - 1
        .quad vt_idt

        .data
        .balign 8
vt_batch_saved_rsp: .quad 0
vt_batch_loop_frame: .quad 0, 0, 0, 0, 0      /* the loop's #DE frame during a CPL-1/2 access */

        .section .note.GNU-stack, "", @progbits
