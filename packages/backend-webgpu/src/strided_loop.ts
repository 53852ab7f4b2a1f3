/**
 * WGSL for "each thread of the workgroup takes items local, local + threads,
 * ... below count", written with a loop count fixed at compile time: a loop
 * that starts at `local` has a trip count the compiler cannot know, which
 * keeps it from unrolling the loop and overlapping the loads. On an H200 the
 * fixed count halved the block-32 product's GPU time. `body` sees the item
 * index as `i`.
 */
export function stridedLoop(count: number, threads: number, body: string): string {
  const trips = Math.ceil(count / threads);
  const guarded = count % threads === 0 ? body : `if (i < ${count}) {${body}}`;
  return `for (var trip = 0; trip < ${trips}; trip++) {
          let i = local + trip * ${threads};
          ${guarded}
        }`;
}
