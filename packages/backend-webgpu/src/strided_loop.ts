/**
 * WGSL for "each thread of the workgroup takes items local, local + threads,
 * ... below count", written with a loop count fixed at compile time: a loop
 * that starts at `local` has a trip count the compiler cannot know, so it is
 * not unrolled and each thread's global loads wait for one another. `body`
 * sees the item index as `i`.
 */
export function stridedLoop(count: number, threads: number, body: string): string {
  const trips = Math.ceil(count / threads);
  const guarded = count % threads === 0 ? body : `if (i < ${count}) {${body}}`;
  return `for (var trip = 0; trip < ${trips}; trip++) {
          let i = local + trip * ${threads};
          ${guarded}
        }`;
}
