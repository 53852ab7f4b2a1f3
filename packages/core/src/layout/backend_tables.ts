import type {DataId, DataType, TensorInfo} from '@tensorflow/tfjs-core';

import type {BlockLayout, BlockTable} from './block_layout';

/** What GPU backends (webgpu, webgl) offer for data that the engine does not track. */
export interface TableBackend {
  makeTensorInfo(shape: number[], dtype: DataType, values: Int32Array): TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

/**
 * A layout's lookup tables as int32 backend tensors (GPU buffers or
 * textures), built once per layout and backend and reused by every call.
 * They live in the backend, outside the engine's tensor count, until
 * releaseLayoutTables(layout) or until the layout is garbage collected:
 * code that makes short-lived layouts should release them.
 *
 * Segment tables hold [ptr (segments + 1) | block (nnz) | other (nnz)];
 * the coordinate table holds [rows (nnz) | cols (nnz)].
 */
export type TableKind = 'byColumn'|'byRow'|'coords';

type LayoutTables = Map<TableBackend, Partial<Record<TableKind, TensorInfo>>>;

const cache = new WeakMap<BlockLayout, LayoutTables>();
const release = new FinalizationRegistry<LayoutTables>(disposeTables);

function disposeTables(tables: LayoutTables) {
  tables.forEach((perKind, backend) => {
    for (const info of Object.values(perKind)) {
      backend.disposeData(info.dataId, true);
    }
  });
  tables.clear();
}

export function layoutTable(backend: TableBackend, layout: BlockLayout, kind: TableKind): TensorInfo {
  let tables = cache.get(layout);
  if (tables == null) {
    tables = new Map();
    cache.set(layout, tables);
    release.register(layout, tables, layout);
  }
  let perKind = tables.get(backend);
  if (perKind == null) {
    perKind = {};
    tables.set(backend, perKind);
  }
  let info = perKind[kind];
  if (info == null) {
    const values = tableValues(layout, kind);
    info = backend.makeTensorInfo([values.length], 'int32', values);
    perKind[kind] = info;
  }
  return info;
}

/** Frees the GPU copies of a layout's tables on every backend; later calls rebuild them. */
export function releaseLayoutTables(layout: BlockLayout): void {
  const tables = cache.get(layout);
  if (tables != null) {
    disposeTables(tables);
    cache.delete(layout);
    release.unregister(layout);
  }
}

function tableValues(layout: BlockLayout, kind: TableKind): Int32Array {
  if (kind === 'coords') {
    const values = new Int32Array(2 * layout.nnz);
    values.set(layout.rows);
    values.set(layout.cols, layout.nnz);
    return values;
  }
  const table: BlockTable = kind === 'byColumn' ? layout.byColumn() : layout.byRow();
  const values = new Int32Array(table.ptr.length + 2 * layout.nnz);
  values.set(table.ptr);
  values.set(table.block, table.ptr.length);
  values.set(table.other, table.ptr.length + layout.nnz);
  return values;
}
