# Legacy maps as older compilers and hand-written assembly leave them: plain labels (STT_NOTYPE,
# size 0) in `maps`, so each definition is the section size over the number of map symbols
# (here 2 x 20 bytes), plus a second legacy section `maps/extra` with a sized symbol.
	.section	maps,"aw",@progbits
	.globl	map_a
map_a:
	.long	2, 4, 4, 1, 0		# array, key 4, value 4, 1 entry
	.globl	map_b
map_b:
	.long	2, 4, 8, 1, 0		# array, key 4, value 8, 1 entry

	.section	"maps/extra","aw",@progbits
	.globl	map_c
	.type	map_c,@object
map_c:
	.long	1, 4, 16, 64, 0		# hash, key 4, value 16, 64 entries
	.size	map_c, 20

	.section	xdp,"ax",@progbits
	.globl	prog
	.type	prog,@function
prog:
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = map_b ll
	call 1
	if r0 == 0 goto out
	r1 = *(u64 *)(r0 + 0)		# in bounds only if map_b's value is 8 bytes
	r2 = r10
	r2 += -4
	r1 = map_c ll
	call 1
	if r0 == 0 goto out
	r1 = *(u64 *)(r0 + 8)		# in bounds only if map_c's value is 16 bytes
out:
	r0 = 2
	exit
	.size	prog, .-prog

	.section	license,"aw",@progbits
	.asciz	"GPL"
