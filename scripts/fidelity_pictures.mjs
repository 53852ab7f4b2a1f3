// Many distinct pictures for scripts/fidelity.mjs (--calibration-pictures, --held-out-pictures), from Debian
// packages: desktop wallpapers (photos), scikit-image's sample data and Tux Paint's stamps (photos and drawings of
// animals, food, vehicles, people, on transparent backgrounds). Downloads the packages with `apt-get download`
// (no root needed), unpacks them with `dpkg -x`, and links every other photo and stamp into DIR/calibration,
// the remaining photos into DIR/held-out, so that no picture is in both, and every picture not held out into
// DIR/distill (for --distill-inputs).
//   node scripts/fidelity_pictures.mjs [--out DIR]   (default bench-results/pictures)
import {execFileSync} from 'node:child_process';
import {mkdirSync, readdirSync, rmSync, statSync, symlinkSync} from 'node:fs';
import {basename, dirname, join, resolve} from 'node:path';
import {parseArgs} from 'node:util';

const PACKAGES = [
  'plasma-workspace-wallpapers', 'gnome-backgrounds', 'mate-backgrounds', 'ukui-wallpapers', 'lomiri-wallpapers-16.04',
  'lomiri-wallpapers-20.04', 'python3-skimage', 'tuxpaint-stamps-default'
];
const {values: args} = parseArgs({options: {out: {type: 'string', default: 'bench-results/pictures'}}});
const out = resolve(args.out);
const downloads = join(out, 'debs');
const root = join(out, 'unpacked');
mkdirSync(downloads, {recursive: true});
execFileSync('apt-get', ['download', ...PACKAGES], {cwd: downloads, stdio: 'inherit'});
for (const deb of readdirSync(downloads).filter(f => f.endsWith('.deb'))) {
  execFileSync('dpkg', ['-x', join(downloads, deb), root]);
}

const files = readdirSync(root, {recursive: true}).map(f => join(root, f)).filter(f => /\.(jpe?g|png)$/i.test(f)).sort();
// Photos: every picture outside Tux Paint, icons and docs over 20 kB; a KDE wallpaper comes in many sizes
// (contents/images/WxH.jpg): one of them, the nearest to 1920 wide.
const wallpaperSizes = new Map();
const photos = [];
for (const file of files.filter(f => !/tuxpaint|\/icons\/|\/doc\//.test(f) && statSync(f).size > 20000)) {
  const size = /\/contents\/images(_dark)?\/(\d+)x\d+\.\w+$/.exec(file);
  if (size == null) {
    photos.push(file);
    continue;
  }
  const key = dirname(file);
  const distance = Math.abs(Number(size[2]) - 1920);
  const best = wallpaperSizes.get(key);
  if (best == null || distance < best.distance) {
    wallpaperSizes.set(key, {file, distance});
  }
}
photos.push(...[...wallpaperSizes.values()].map(w => w.file));
photos.sort();
// Stamps: Tux Paint's pictures but its letters, digits and signs (symbols) and thumbnails.
const stamps = files.filter(f => /tuxpaint\/stamps\//.test(f) && !/\/symbols\/|thumb/.test(f));

const link = (dir, prefix, list) => list.forEach((file, i) => {
  const name = `${prefix}${String(i).padStart(3, '0')}-${basename(file)}`;
  symlinkSync(file, join(dir, name));
});
const [calibration, heldOut, distill] = [join(out, 'calibration'), join(out, 'held-out'), join(out, 'distill')];
for (const dir of [calibration, heldOut, distill]) {
  rmSync(dir, {recursive: true, force: true});
  mkdirSync(dir);
}
link(calibration, 'photo', photos.filter((_, i) => i % 2 === 0));
link(calibration, 'stamp', stamps.filter((_, i) => i % 2 === 0));
link(heldOut, 'photo', photos.filter((_, i) => i % 2 === 1));
link(distill, 'photo', photos.filter((_, i) => i % 2 === 0));
link(distill, 'stamp', stamps);
console.log(`${readdirSync(calibration).length} calibration pictures in ${calibration} (${Math.ceil(photos.length / 2)} photos, ${
    Math.ceil(stamps.length / 2)} stamps); ${readdirSync(heldOut).length} held-out photos in ${heldOut}; ${
    readdirSync(distill).length} pictures not held out in ${distill}`);
