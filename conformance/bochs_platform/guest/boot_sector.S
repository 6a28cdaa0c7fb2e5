/* The Bochs platform's boot sector. Bochs has no -kernel option: Bochs loads the proxy
 * (conformance/qemu_platform/guest/proxy.c, long-mode build) and the batch straight into RAM
 * (optramimage), and the BIOS boots this sector from the floppy. It does what a multiboot
 * loader would: A20 on (port 92h, "fast A20"), flat 32-bit protected mode with paging off,
 * and a jump to the proxy's entry, whose address the host patches into `entry` (offset 504).
 * EAX carries VT_BATCH_ENTRY_MAGIC (conformance/qemu_platform/mailbox_abi.h): batch mode. */
  .code16
  .text
  .globl start
start:
  cli
  xor %ax, %ax
  mov %ax, %ds
  mov %ax, %ss
  mov $0x7c00, %sp
  in $0x92, %al
  or $2, %al
  and $0xfe, %al
  out %al, $0x92
  lgdtl gdt_descriptor
  mov %cr0, %eax
  or $1, %eax
  mov %eax, %cr0
  ljmpl $0x08, $protected
  .code32
protected:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %fs
  mov %ax, %gs
  mov %ax, %ss
  mov $0x7c00, %esp
  mov $0x42544348, %eax
  jmp *entry
  .balign 8
gdt:
  .quad 0
  .quad 0x00cf9a000000ffff  /* 32-bit code, flat */
  .quad 0x00cf92000000ffff  /* data, flat */
gdt_descriptor:
  .word 23
  .long gdt
  .org 504
entry:
  .long 0
  .org 510
  .word 0xaa55
