# One program with a slot no instruction has (opcode 0xff) between good ones, and one program
# that decodes: disasm lists both (the bad slot as <unknown>), check rejects only the first.
	.section	xdp,"ax",@progbits
	.globl	bad
	.type	bad,@function
bad:
	r0 = 2
	.quad	0xff			# unknown opcode 0xff
	exit
	.size	bad, .-bad

	.globl	good
	.type	good,@function
good:
	r0 = 1
	exit
	.size	good, .-good

	.section	license,"aw",@progbits
	.asciz	"GPL"
