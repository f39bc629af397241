/** What an operation is doing; each phase counts its own files and bytes. */
export type BackupPhase =
  'checkpoint' | 'copy' | 'verify' | 'stage' | 'journal' | 'archive' | 'extract';

export interface BackupProgress {
  phase: BackupPhase;
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

/** Called after each file (and when a phase starts); keep it cheap. Totals may grow within a phase. */
export type OnProgress = (progress: BackupProgress) => void;

/** Counts one phase's work and tells the callback. */
export class ProgressCounter {
  readonly #phase: BackupPhase;
  readonly #onProgress: OnProgress | undefined;
  #files = 0;
  #bytes = 0;
  #totalFiles = 0;
  #totalBytes = 0;

  constructor(phase: BackupPhase, onProgress: OnProgress | undefined) {
    this.#phase = phase;
    this.#onProgress = onProgress;
  }

  /** More work is known: grows the totals. */
  plan(files: number, bytes: number): void {
    this.#totalFiles += files;
    this.#totalBytes += bytes;
    this.#emit();
  }

  /** One file done. */
  done(bytes: number): void {
    this.#files += 1;
    this.#bytes += bytes;
    this.#emit();
  }

  #emit(): void {
    this.#onProgress?.({
      phase: this.#phase,
      files: this.#files,
      totalFiles: this.#totalFiles,
      bytes: this.#bytes,
      totalBytes: this.#totalBytes,
    });
  }
}
