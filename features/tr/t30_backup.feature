# language: tr
@t30 @read_only
Özellik: T-30 backup
  DB Owner restore point'i alır ve kaydeder (runbook §4 T-30, checklist bölüm 2).
  Prod'da asla restore drill yapılmaz: snapshot yalnızca listelenir, asla restore edilmez.

  @t30_snapshot_taken @t30_snapshot_readable
  Senaryo: Okunabilir bir snapshot alınır ve kaydedilir
    Eğer ki DB Owner hedef veritabanının snapshot'ını kaydeder
    O zaman snapshot'ın ID'si, zamanı ve checksum'ı kaydedilir ve checksum doğrulanır
    Ve snapshot okunabilirdir

  @t30_restore_procedure
  Senaryo: Rollback restore prosedürü erişilebilir
    O zaman rollback restore prosedürü erişilebilirdir
