# language: tr
@t30 @read_only
Özellik: T-30 backup
  DB Owner restore point'i alır ve kaydeder (runbook §4 T-30, checklist bölüm 2) ve prod dışında snapshot'ın restore
  edilebildiğini (runbook A.3 "Snapshot alındı (Restore test edildi)") ve release'in migration'larının bir kopyada
  çalıştığını (A.4 "Mümkünse dry-run `alembic upgrade head`") kanıtlar.
  Prod'da asla restore drill yapılmaz: prod'da snapshot yalnızca listelenir ve drill satırları NOT_RUN "never in prod"
  olur (opsiyonel satırlar: GO'yu asla bekletmez). Staging ve sandbox'ta drill, snapshot'ı restore sunucusunda
  (CUTOVER_RESTORE_DSN, asla hedefin kendi veritabanı değil) oluşturduğu bir scratch veritabanına restore eder, her
  tablonun satır sayısını ve alembic sürümünü dump anındaki kaynakla karşılaştırır, cutover dosyasının [migrations]
  dry_run_command komutunu kopyada çalıştırır ve ne olursa olsun kopyayı siler.

  @t30_snapshot_taken @t30_snapshot_readable
  Senaryo: Okunabilir bir snapshot alınır ve kaydedilir
    Eğer ki DB Owner hedef veritabanının snapshot'ını kaydeder
    O zaman snapshot'ın ID'si, zamanı ve checksum'ı kaydedilir ve checksum doğrulanır
    Ve snapshot okunabilirdir

  @t30_restore_procedure
  Senaryo: Rollback restore prosedürü erişilebilir
    O zaman rollback restore prosedürü erişilebilirdir

  @t30_restore_drill
  Senaryo: Snapshot scratch veritabanına restore edilir ve kaynağıyla eşleşir
    Diyelim ki restore drill bu ortamda çalışabilir
    Eğer ki DB Owner snapshot'ı scratch veritabanına restore eder
    O zaman her tablonun satır sayısı ve alembic sürümü snapshot'ın kaynağıyla eşleşir
    Ve scratch veritabanı silinir

  @t30_migration_dry_run
  Senaryo: Release'in migration'ları restore edilen kopyada dry-run edilir
    Diyelim ki release migration dry-run komutunu belirtir
    Eğer ki migration'lar restore edilen scratch kopyada çalışır
    O zaman migration'lar başarılı olur ve head'e ulaşır
